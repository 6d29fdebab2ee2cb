create table calls (id uuid primary key, clerk_org_id text not null);
create table contacts (id uuid primary key, clerk_org_id text not null);
alter table contacts enable row level security;
