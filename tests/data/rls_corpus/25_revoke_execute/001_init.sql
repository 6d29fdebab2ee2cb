create table calls (id uuid primary key, clerk_org_id text not null);
create function purge() returns void language sql security definer as $$ delete from calls $$;
revoke execute on function purge() from public;
create function purge_all() returns void language sql security definer as $$ delete from calls $$;
revoke execute on function purge_all() from public, anon, authenticated;
