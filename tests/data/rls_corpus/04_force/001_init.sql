create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security, force row level security;
create table voices (id uuid primary key, clerk_org_id text not null);
alter table voices force row level security;
alter table voices no force row level security;
