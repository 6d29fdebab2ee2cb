create table calls (id uuid primary key, clerk_org_id text not null);
create function gone() returns bigint language sql security definer as $$ select count(*) from calls $$;
drop function gone();
create procedure cleanup() language sql security definer as $$ delete from calls $$;
