alter table calls drop column client_id cascade;
