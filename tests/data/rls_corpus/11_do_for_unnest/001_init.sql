create table calls (id uuid primary key, clerk_org_id text not null);
create table tools (id uuid primary key, clerk_org_id text not null);
do $$
declare t text;
begin
    for t in select unnest(array['calls', 'tools']) loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
    end loop;
end $$;
