create table calls (id uuid primary key, clerk_org_id text not null);
create table notes (id uuid primary key, clerk_org_id text not null);
do $$
declare r record;
begin
    for r in select tablename from pg_tables where schemaname = 'public' loop
        execute format('alter table public.%I enable row level security', r.tablename);
    end loop;
end $$;
