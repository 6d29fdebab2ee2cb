create table calls (id uuid primary key, clerk_org_id text not null);
create table plans (id text primary key, name text);
revoke all on all tables in schema public from anon;
grant select on all tables in schema public to anon;
create table later (id uuid primary key, clerk_org_id text);
