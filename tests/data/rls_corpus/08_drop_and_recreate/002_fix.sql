drop policy if exists "read calls" on calls;
drop policy if exists "never existed" on calls;
create policy "read calls" on calls for select using (clerk_org_id = auth.jwt() ->> 'org_id');
