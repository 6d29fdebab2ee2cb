from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, UndefinedName
from orgscope_lint.findings import Finding, Related, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule


class UndefinedTenantName(Rule):
    code = "ORG006"
    name = "undefined-tenant-name"
    severity = Severity.WARNING
    summary = "A tenant-like name is used but never bound"
    doc = """
    ## What it does
    Reports a tenant-like name (the tenant key, every `table-keys` and `legacy-keys`
    value, `org_id`, `tenant_id`, `organization_id`) that Python's scoping rules bind
    nowhere: not in the function, an enclosing function, the module, or the builtins.
    Closures, `global`, comprehensions and star imports are honoured. One finding per
    name and function, at its first use; the later uses are its related locations, since
    one binding fixes them all.

    ## Why is this bad?
    It is a `NameError` waiting on the path that reads it, typically left behind when a
    codebase renames its tenant key (`client_id` to `clerk_org_id`). On an error path it
    turns a handled failure into a 500; in a filter it means the scoping code never ran.

    It is a warning, not an error: the `NameError` stops the request before the query
    runs, so no other tenant's rows are read or written. Error severity is kept for
    findings that are a cross-tenant leak.

    ## Example
    ```python
    def list_folders(current_user):
        clerk_org_id = current_user["clerk_org_id"]
        logger.info(f"Listing folders for {client_id}")
    ```

    ## Use instead
    ```python
    def list_folders(current_user):
        clerk_org_id = current_user["clerk_org_id"]
        logger.info(f"Listing folders for {clerk_org_id}")
    ```
    """
    valid = (
        'def f(user):\n    client_id = user["client_id"]\n    print(client_id)\n',
        'org_id = "x"\n\ndef f():\n    print(org_id)\n',
        "def outer(org_id):\n    def inner():\n        return org_id\n    return inner\n",
        "def f(xs):\n    return [org_id for org_id in xs]\n",
        "from settings import *\n\ndef f():\n    return tenant_id\n",
        "def f():\n    global org_id\n    org_id = 1\n\ndef g():\n    return org_id\n",
        'def f(user):\n    if (org_id := user.get("org")):\n        return org_id\n',
    )
    invalid = (
        'import logging\n\ndef f(user):\n    clerk_org_id = user["clerk_org_id"]\n'
        '    logging.info(f"folders for {client_id}")  # expect: ORG006\n',
        "class C:\n    org_id = 1\n\n    def m(self):\n        return org_id  # expect: ORG006\n",
        "def f(db):\n    rows = db.table('t').select('*').eq('org_id', org_id)  # expect: ORG006\n"
        "    print('read for', org_id)\n    return rows\n",
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        uses: dict[tuple[str | None, str], list[UndefinedName]] = {}
        for use in facts.undefined_names:
            uses.setdefault((use.function, use.name), []).append(use)
        for (_, name), (first, *later) in uses.items():
            message = f"`{name}` is used but never bound (a NameError at run time)"
            if later:
                message += f"; {len(later)} more use{'s' if len(later) > 1 else ''} here"
            lines = dict.fromkeys(u.span.line for u in later if u.span.line != first.span.line)
            related = tuple(Related(facts.path, line, "used again") for line in lines)
            yield self.finding(facts, first.span, message, snippet=first.snippet, related=related)
