create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create function set_org(org text) returns void language plpgsql security definer as $$
begin
    perform set_config('app.current_org_id', org, false);
end;
$$;
create policy org on calls using (clerk_org_id = current_setting('app.current_org_id', true));
