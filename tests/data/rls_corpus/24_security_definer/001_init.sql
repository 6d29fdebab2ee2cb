create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create function count_calls() returns bigint language sql security definer set search_path = public
as $$ select count(*) from calls $$;
create function org_calls() returns bigint language sql stable security definer
as $$ select count(*) from calls where clerk_org_id = auth.jwt() ->> 'org_id' $$;
create function helper() returns int language sql as $$ select 1 $$;
