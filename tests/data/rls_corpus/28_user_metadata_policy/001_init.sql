create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create policy meta on calls for select using (clerk_org_id = (auth.jwt() -> 'user_metadata' ->> 'org_id'));
create policy header on calls for update using (clerk_org_id = current_setting('request.headers', true)::json ->> 'x-org-id');
