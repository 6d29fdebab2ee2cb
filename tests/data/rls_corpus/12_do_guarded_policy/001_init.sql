create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
do $$
begin
    if not exists (select 1 from pg_policies where tablename = 'calls' and policyname = 'calls_org') then
        create policy calls_org on calls using (clerk_org_id = auth.jwt() ->> 'org_id');
    end if;
end
$$;
