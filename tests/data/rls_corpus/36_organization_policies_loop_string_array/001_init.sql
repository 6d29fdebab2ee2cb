create table calls (id uuid primary key, clerk_org_id text not null);
create table voices (id uuid primary key, clerk_org_id text not null);
do $$
declare
    t text;
    names text[] := '{calls,voices}';
begin
    foreach t in array names loop
        execute format('alter table %I enable row level security', t);
    end loop;
end $$;
