create or replace function stats() returns bigint language sql as $$ select count(*) from calls $$;
alter function stats() security definer;
alter function stats() security invoker;
