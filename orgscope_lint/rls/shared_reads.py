"""Tables their migrations share with every user for reading, on purpose.

```sql
CREATE POLICY "Anyone can view verdicts" ON verdicts FOR SELECT USING (true);
CREATE POLICY "Members add verdicts" ON verdicts FOR INSERT
    WITH CHECK (org_id = (auth.jwt() ->> 'org_id'));
```

The author decided tenancy for this table (every write policy restricts the rows, and
they name the tenant key) and made reading it global: a read across tenants shows what
any user may read through the API anyway, so it is no leak. Writes are judged as
always. A `USING (true)` with no write policy, or with one that restricts nothing or
never names the key, says nothing of intent (it may be the very fault the RLS rules
report), and the table stays a tenant table for reads too.
"""

from __future__ import annotations

import re

from orgscope_lint.project import Project
from orgscope_lint.rls.model import Policy
from orgscope_lint.rls.policies import Scope, judge_command
from orgscope_lint.rls.writable import config_context

_WRITES = ("INSERT", "UPDATE", "DELETE")


def shared_for_reading(table_name: str, project: Project) -> Policy | None:
    """The policy opening the table to every reader, when the table is shared for
    reading as above; None otherwise. Decided once per table and run."""
    memo = project.shared_reads
    if table_name not in memo:
        memo[table_name] = _opening_policy(table_name, project)
    return memo[table_name]


def _opening_policy(table_name: str, project: Project) -> Policy | None:
    model = project.schema.rls
    table = model.tables.get(table_name) if model is not None else None
    key = project.key_for(table_name)
    if model is None or table is None or key is None or not table.enabled:
        return None
    api = [policy for policy in table.policies if policy.applies_to_api()]
    opening = [p for p in api if p.permissive and p.command == "SELECT" and _always(p.using)]
    writes = [p for p in api if p.command in _WRITES]
    if not opening or not writes or any(p.command == "ALL" for p in api):
        return None
    context = config_context(model, key, project.config)
    # Restricted by something (`OR org_id IS NULL` admits shared rows), and by the key.
    restricted = all(judge_command(p, p.command, context) > Scope.NONE for p in writes)
    keyed = re.compile(rf"\b{re.escape(key)}\b", re.IGNORECASE)
    named = any(keyed.search(f"{p.using or ''} {p.check or ''}") for p in writes)
    return opening[0] if restricted and named else None


def _always(expression: str | None) -> bool:
    text = (expression or "").strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.lower() == "true"
