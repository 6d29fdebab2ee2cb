create table calls (id uuid primary key, clerk_org_id text, client_id text not null);
alter table calls add column status text not null default 'new', alter column clerk_org_id set not null, enable row level security;
alter table calls alter column client_id drop not null, drop column status;
