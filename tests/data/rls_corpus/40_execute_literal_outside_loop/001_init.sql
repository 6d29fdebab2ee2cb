create table calls (id uuid primary key, clerk_org_id text not null);
do $$
begin
    execute 'alter table calls enable row level security';
    execute format('create policy %I on %I using (true)', 'open', 'calls');
end $$;
