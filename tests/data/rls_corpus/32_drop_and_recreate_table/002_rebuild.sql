drop table if exists calls cascade;
create table calls (id uuid primary key, clerk_org_id text not null, created_at timestamptz);
