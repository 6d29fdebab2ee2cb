create table "public"."Calls" (id uuid primary key, clerk_org_id text not null);
alter table public."Calls" enable row level security;
create policy "Org Members Only" on public."Calls" to authenticated using (clerk_org_id = auth.jwt() ->> 'org_id');
