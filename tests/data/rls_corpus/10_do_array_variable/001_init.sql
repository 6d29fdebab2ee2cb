create table calls (id uuid primary key, clerk_org_id text not null);
create table campaigns (id uuid primary key, clerk_org_id text not null);
do $body$
declare
    tables text[] := array['calls', 'campaigns'];
    t text;
begin
    foreach t in array tables loop
        execute 'alter table ' || quote_ident(t) || ' enable row level security';
    end loop;
end
$body$;
