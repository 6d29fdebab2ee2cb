"""Row-level security read from the migrations: what the database itself enforces.

`replay` follows RLS switches, policies, grants, views and functions through the
migration history (fed statement by statement by the schema replay); `model` is the
final state as plain data; `policies` judges what a policy scopes rows by.
"""
