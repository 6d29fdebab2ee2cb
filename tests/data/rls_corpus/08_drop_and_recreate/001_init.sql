create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy "read calls" on calls for select using (auth.uid() is not null);
