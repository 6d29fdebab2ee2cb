create table calls (id uuid primary key default gen_random_uuid(), clerk_org_id text not null, note text);
alter table calls enable row level security;
create policy "org members" on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
