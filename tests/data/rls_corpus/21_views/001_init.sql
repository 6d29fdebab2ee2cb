create table calls (id uuid primary key, clerk_org_id text not null, duration int);
alter table calls enable row level security;
create view call_stats as select clerk_org_id, count(*) as n from calls group by clerk_org_id;
create view my_calls with (security_invoker = true) as select * from calls;
create view org_calls as select * from calls where clerk_org_id = auth.jwt() ->> 'org_id';
