alter table call_logs rename to calls;
