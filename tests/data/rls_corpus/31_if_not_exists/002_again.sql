create table if not exists calls (id uuid primary key, other text);
alter table if exists missing enable row level security;
