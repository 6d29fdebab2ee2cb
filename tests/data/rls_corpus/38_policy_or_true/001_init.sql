create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy wide on calls using (clerk_org_id = auth.jwt() ->> 'org_id' or true);
create policy unset on calls for select using (current_setting('app.org', true) is null or clerk_org_id = current_setting('app.org', true));
