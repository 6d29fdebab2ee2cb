alter default privileges in schema public revoke all on tables from anon;
create table calls (id uuid primary key, clerk_org_id text not null);
alter default privileges in schema public grant select on tables to anon;
create table voices (id uuid primary key, clerk_org_id text not null);
