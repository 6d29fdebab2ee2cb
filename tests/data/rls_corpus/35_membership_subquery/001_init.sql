create table members (user_id uuid not null, org_id text not null);
create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
alter table members enable row level security;
create policy member on calls using (clerk_org_id in (select org_id from members where user_id = auth.uid()));
create policy own on members for select using (user_id = auth.uid());
