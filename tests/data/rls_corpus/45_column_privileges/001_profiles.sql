-- A profile the caller updates, but only its harmless columns: the table-level UPDATE
-- goes, a column-level one comes back for `full_name` and `avatar`.
create table profiles (id uuid primary key, org_id text not null, full_name text, avatar text);
alter table profiles enable row level security;
create policy "own profile" on profiles for update to authenticated using (id = auth.uid());
revoke update on profiles from anon, authenticated;
grant update (full_name, avatar) on profiles to authenticated;
grant select (id, full_name) on profiles to public;

-- Revoking a column privilege while the table-level one is held changes nothing.
create table memberships (user_id uuid not null, org_id text not null, role text);
revoke update (org_id) on memberships from authenticated;

-- A table-level REVOKE takes the column privileges with it.
create table invites (id uuid, org_id text, email text);
revoke all on invites from anon, authenticated;
grant insert (email, org_id), update (email) on invites to authenticated;
revoke update on invites from authenticated;
