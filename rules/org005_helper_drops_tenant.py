from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.tenancy import drops_tenant


class HelperDropsTenant(Rule):
    code = "ORG005"
    name = "helper-drops-tenant"
    severity = Severity.ERROR
    summary = "A DB helper receives the org but its query never uses it"
    doc = """
    ## What it does
    Reports a method of a DB class (`db-classes`) that takes an org parameter (`org_id`,
    `clerk_org_id`, `tenant_id`, ...) while none of its queries on tenant tables filters
    by the tenant key. Reported at the `def` line; the helper's own query is not reported
    again as ORG001. A create method that stamps the org into its insert uses it, and a
    read that only probes whether a value it just generated is taken (a random invite
    code, a token) is not a tenant query.

    ## Why is this bad?
    Callers pass the org and believe they are scoped. Every call site looks right in
    review, and every one of them leaks.

    ## Example
    ```python
    class DatabaseService:
        def get_voice(self, voice_id, org_id=None):
            return self.select_one("voices", {"id": voice_id})
    ```

    ## Use instead
    ```python
    class DatabaseService:
        def get_voice(self, voice_id, org_id):
            return self.select_one("voices", {"id": voice_id, "clerk_org_id": org_id})
    ```
    """
    valid = (
        "class DatabaseService:\n    def get_voice(self, voice_id, org_id):\n"
        '        return self.select_one("voices", {"id": voice_id, "clerk_org_id": org_id})\n',
        # No org parameter: an ordinary method (ORG001 speaks for its query).
        "class DatabaseService:\n    def ping(self):\n        return 1\n",
        # Not a DB class.
        "class Reporter:\n    def get_voice(self, db, voice_id, org_id):\n"
        "        return voice_id\n",
        # A create method: the org is stamped into the insert; the read probes a fresh code.
        "class DatabaseService:\n    def create_project(self, org_id, name):\n"
        "        code = random_code()\n"
        '        while self.select_one("projects", {"code": code}):\n'
        "            code = random_code()\n"
        '        return self.insert("projects", {"clerk_org_id": org_id, "code": code})\n',
    )
    invalid = (
        "class DatabaseService:\n"
        "    def get_voice(self, voice_id, org_id=None):  # expect: ORG005\n"
        "        effective_org_id = org_id or self.org_id\n"
        '        return self.select_one("voices", {"id": voice_id})\n',
        "class AdminDb(DatabaseService):\n"
        "    def get_call(self, call_id, org_id):  # expect: ORG005\n"
        '        return self.select_one("calls", {"id": call_id})\n',
        # The code probed comes from the caller, not from a generator.
        "class DatabaseService:\n    def join_project(self, org_id, code):  # expect: ORG005\n"
        '        return self.select_one("projects", {"code": code})\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        for fn in facts.functions:
            if drops_tenant(fn, facts, project):
                params = ", ".join(f"`{p}`" for p in fn.org_params)
                message = (
                    f"`{fn.qualname}` receives {params} but its query on a tenant table "
                    f"never filters by the tenant key"
                )
                yield self.finding(facts, fn.span, message, snippet=_def_snippet(fn.qualname))


def _def_snippet(qualname: str) -> str:
    return f"def {qualname}"
