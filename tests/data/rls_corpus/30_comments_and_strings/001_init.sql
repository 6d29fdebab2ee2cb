-- a comment; with a semicolon
/* block; comment /* nested; */ still comment */
create table calls (id uuid primary key, clerk_org_id text not null, note text default 'a;b');
alter table calls enable row level security; -- trailing; comment
create policy "semi;colon" on calls using (clerk_org_id = auth.jwt() ->> 'org;id');
comment on table calls is E'calls\'s table; with a quote';
