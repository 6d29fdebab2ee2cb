-- Column privileges follow a renamed column; `ALL (columns)` grants each column privilege.
alter table profiles rename column avatar to avatar_url;
grant all (role) on memberships to anon;
revoke insert (org_id) on invites from authenticated;
alter table invites drop column email;
alter table invites add column email text;
