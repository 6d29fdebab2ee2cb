create table calls (id uuid primary key, clerk_org_id text not null);
create table audit_log (id uuid primary key, clerk_org_id text not null);
revoke all on table audit_log from anon, authenticated;
revoke insert, update, delete, truncate on calls from anon;
grant select on audit_log to authenticated;
