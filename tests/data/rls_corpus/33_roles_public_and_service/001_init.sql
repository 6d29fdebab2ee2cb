create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy service on calls to service_role using (true);
create policy everyone on calls to public using (clerk_org_id = auth.jwt() ->> 'org_id');
create policy api_roles on calls for select to anon, authenticated using (false);
