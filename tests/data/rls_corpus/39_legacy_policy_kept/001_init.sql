create table calls (id uuid primary key, client_id text not null);
alter table calls enable row level security;
create policy account on calls using (client_id = auth.jwt() ->> 'client_id');
