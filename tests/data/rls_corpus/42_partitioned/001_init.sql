create table events (id uuid not null, clerk_org_id text not null, at date not null) partition by range (at);
create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
alter table events enable row level security;
create policy org on events using (clerk_org_id = auth.jwt() ->> 'org_id');
