create table calls (id uuid primary key, clerk_org_id text not null);
alter table calls enable row level security;
create view a as select * from calls;
create view b as select * from calls;
drop view a;
alter view b rename to c;
