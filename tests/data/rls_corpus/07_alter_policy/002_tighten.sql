alter policy p on calls to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id') with check (clerk_org_id = auth.jwt() ->> 'org_id');
alter policy p on calls rename to org_members;
