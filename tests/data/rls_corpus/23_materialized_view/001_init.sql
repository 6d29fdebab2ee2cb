create table calls (id uuid primary key, clerk_org_id text not null, duration int);
alter table calls enable row level security;
create materialized view call_totals as select clerk_org_id, sum(duration) as total from calls group by 1;
revoke all on call_totals from anon;
