from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Rule
from orgscope_lint.rules._common import call_text, query_findings
from orgscope_lint.tenancy import Verdict, tenant_origin

_WHERE = {
    "request:header": "a request header",
    "request:query": "a query-string parameter",
    "request:path": "a path parameter",
    "request:body": "the request body",
    "request:form": "a form field",
    "request:cookie": "a cookie",
}


class UntrustedTenantSource(Rule):
    code = "ORG009"
    name = "untrusted-tenant-source"
    severity = Severity.ERROR
    summary = "The tenant id comes from request input instead of the authenticated principal"
    doc = """
    ## What it does
    Reports a query or insert whose tenant key takes its value from request input: a
    FastAPI parameter declared with `Header`, `Query`, `Path`, `Body`, `Form` or `Cookie`,
    a plain path or query parameter of a route, `request.headers[...]`,
    `request.query_params`, `await request.json()`, or an attribute of a request-body
    model. A value first compared with the principal's org (raising on mismatch) is safe.

    ## Why is this bad?
    The caller chooses the tenant. The filter is there, and it scopes to whichever
    organization the attacker names.

    ## Example
    ```python
    @router.get("/calls")
    def list_calls(x_org_id: str = Header(...), current_user=Depends(get_current_user)):
        return db.select("calls", {"clerk_org_id": x_org_id})
    ```

    ## Use instead
    ```python
    @router.get("/calls")
    def list_calls(current_user=Depends(get_current_user)):
        return db.select("calls", {"clerk_org_id": current_user["clerk_org_id"]})
    ```
    """
    valid = (
        # The membership check that validates the requested org: pinned to the user too.
        "from fastapi import Header\n\nasync def get_org(x_org_id: str = Header(...), current_user=None):\n"
        '    rows = db.select("members", {"clerk_org_id": x_org_id, "user_id": current_user["user_id"]})\n'
        "    if not rows:\n        raise PermissionError(x_org_id)\n    return x_org_id\n",
        'from fastapi import Depends\n\n@router.get("/calls")\n'
        "def f(current_user=Depends(get_user)):\n"
        '    return db.select("calls", {"clerk_org_id": current_user["clerk_org_id"]})\n',
        'from fastapi import Header\n\n@router.get("/calls")\n'
        "def f(org_id: str = Header(...), current_user=None):\n"
        '    if org_id != current_user["clerk_org_id"]:\n        raise PermissionError(org_id)\n'
        '    return db.select("calls", {"clerk_org_id": org_id})\n',
    )
    invalid = (
        'from fastapi import Header\n\n@router.get("/calls")\n'
        "def f(x_org_id: str = Header(...)):\n"
        '    return db.select("calls", {"clerk_org_id": x_org_id})  # expect: ORG009\n',
        '@router.get("/orgs/{org_id}/calls")\ndef f(org_id: str):\n'
        '    return db.select("calls", {"clerk_org_id": org_id})  # expect: ORG009\n',
        '@router.post("/calls")\nasync def f(request: Request):\n    body = await request.json()\n'
        '    db.insert("calls", {"clerk_org_id": body["org"]})  # expect: ORG009\n',
        '@router.post("/calls")\ndef f(body: CallCreate):\n'
        '    db.insert("calls", {"clerk_org_id": body.clerk_org_id})  # expect: ORG009\n',
        '@router.get("/calls")\ndef f(request: Request):\n'
        '    org = request.headers["x-org-id"]\n'
        '    return db.select("calls", {"clerk_org_id": org})  # expect: ORG009\n',
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            where = _WHERE.get(tenant_origin(query, project), "request input")
            if query.table in project.tenant_rows and project.key_for(query.table) is None:
                return (
                    f"{call_text(query)} on `{query.table}`, the tenants' own rows, takes "
                    f"`{key}` from {where}: the caller chooses whose organization it reads; "
                    f"use the authenticated principal's org"
                )
            link = project.parents.get(query.table)
            if link is not None and project.key_for(query.table) is None:
                return (
                    f"{call_text(query)} on `{query.table}` (scoped through `{link.parent}`) "
                    f"takes `{key}` from {where} and no tenant-scoped lookup of `{link.parent}` "
                    f"verified it: look the {link.parent} row up by id and the principal's "
                    f"org first, raising when it is not found"
                )
            return (
                f"{call_text(query)} on `{query.table}` takes `{key}` from {where}: the caller "
                f"chooses the tenant; use the authenticated principal's org"
            )

        yield from query_findings(self, facts, project, Verdict.UNTRUSTED, message)
