alter table calls rename column client_id to clerk_org_id;
