create table calls (id uuid primary key, clerk_org_id text not null, client_id text);
alter table calls enable row level security;
create policy account on calls using (client_id = auth.jwt() ->> 'client_id');
create policy org on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
