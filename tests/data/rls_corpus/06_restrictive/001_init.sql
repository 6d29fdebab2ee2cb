create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy anyone_reads on calls for select using (true);
create policy org_only on calls as restrictive for all to anon, authenticated using (clerk_org_id = auth.jwt() ->> 'org_id');
