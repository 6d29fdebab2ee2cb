create table base (id uuid primary key, clerk_org_id text not null);
create table calls (like base including all, note text);
create table archived (extra text) inherits (base);
alter table calls enable row level security;
