create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy org on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
