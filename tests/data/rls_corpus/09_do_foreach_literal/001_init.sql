create table calls (id uuid primary key, clerk_org_id text not null);
create table contacts (id uuid primary key, clerk_org_id text not null);
create table voices (id uuid primary key, clerk_org_id text not null);
do $$
declare
    t text;
begin
    foreach t in array array['calls', 'contacts', 'voices'] loop
        execute format('alter table public.%I enable row level security', t);
        execute format('create policy %I on public.%I for all to authenticated using (clerk_org_id = auth.jwt() ->> ''org_id'')', t || '_org', t);
    end loop;
end
$$;
