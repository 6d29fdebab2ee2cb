create table call_logs (id uuid primary key, clerk_org_id text not null);
alter table call_logs enable row level security;
create policy org on call_logs using (clerk_org_id = auth.jwt() ->> 'org_id');
