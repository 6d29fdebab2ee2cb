alter table calls add column clerk_org_id text;
update calls set clerk_org_id = client_id;
alter table calls alter column clerk_org_id set not null;
