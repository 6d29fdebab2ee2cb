create table calls (id uuid, clerk_org_id text not null, note text, primary key (id));
alter table calls alter column clerk_org_id drop not null;
alter table calls alter column note set not null;
alter table calls add column kind text not null default 'x';
alter table calls add column extra text;
