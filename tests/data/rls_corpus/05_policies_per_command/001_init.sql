create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy calls_select on calls for select to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id');
create policy calls_insert on calls for insert to authenticated with check (clerk_org_id = auth.jwt() ->> 'org_id');
create policy calls_update on calls for update to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id') with check (clerk_org_id = auth.jwt() ->> 'org_id');
create policy calls_delete on calls for delete to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id');
