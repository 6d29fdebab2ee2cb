create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create view v1 as select * from calls;
create view v2 with (security_invoker = on) as select * from calls;
alter view v1 set (security_invoker = true);
alter view v2 reset (security_invoker);
