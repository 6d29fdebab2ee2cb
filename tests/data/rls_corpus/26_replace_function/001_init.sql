create table calls (id uuid primary key, clerk_org_id text not null);
create or replace function stats() returns bigint language sql security definer as $$ select count(*) from calls $$;
