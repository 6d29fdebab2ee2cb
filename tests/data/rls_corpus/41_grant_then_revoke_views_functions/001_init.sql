create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create view call_ids as select id from calls;
revoke all on call_ids from anon, authenticated;
grant select on call_ids to authenticated;
create function f() returns int language sql security definer as 'select 1';
revoke all on function f() from public;
grant execute on function f() to authenticated;
