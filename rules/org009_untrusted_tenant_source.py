from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.analysis.caller_proof import Reached, tenant_leaks_in
from orgscope_lint.analysis.dependency_values import VIA
from orgscope_lint.facts import FileFacts, Query
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Example, Rule
from orgscope_lint.rules._common import call_text, caller_findings, query_findings
from orgscope_lint.rules._one_cause import Site, fold
from orgscope_lint.tenancy import Verdict, tenant_origin

_WHERE = {
    "request:header": "a request header",
    "request:query": "a query-string parameter",
    "request:path": "a path parameter",
    "request:body": "the request body",
    "request:form": "a form field",
    "request:cookie": "a cookie",
}


_CRM = (
    "create table organizations (id uuid primary key, name text);\n"
    "create table companies (id uuid, organization_id uuid references organizations(id));\n"
    "create table contacts (id uuid, company_id uuid references companies(id));\n"
)
_CONTACTS_ROUTE = (
    '@router.get("/companies/{company_id}/contacts")\ndef f(company_id: str, current_user=None):\n'
)
_CONTACTS = 'sb.table("contacts").select("*").eq("company_id", company_id).execute()'
_NOTES = ("create table notes (id uuid, user_id text, clerk_org_id text, body text);\n",)
_NOTE_INSERT = (
    '@router.post("/notes")\ndef f(body: NoteIn, current_user=None):\n'
    '    sb.table("notes").insert({"user_id": current_user["user_id"], '
    '"clerk_org_id": body.org_id, "body": body.text}).execute()'
)
_MY_NOTES = (
    '@router.get("/notes")\ndef mine(current_user=None):\n'
    '    return sb.table("notes").select("*").eq("user_id", current_user["user_id"]).execute()\n'
)


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
    model. A value first compared with the principal's org (raising on mismatch), found
    among the caller's own memberships, or a route parameter a dependency of the route
    checked by a membership lookup that raises (`org_id: str, m=Depends(require_member)`)
    is safe.

    A service function told the tenant by its caller (`list_projects(org_id)` filtering
    or writing by its own `org_id` parameter) is judged at its call sites: where one
    passes request input, that call is reported, naming the function and the query the
    value reaches (through further calls too); the query itself is not reported.

    The same holds for the ids that scope tables without a tenant key, learned from the
    migrations: a child table's foreign key to a tenant table (`company_id` of
    `company_contacts`, referencing `companies`) is safe once a tenant-scoped lookup of
    the parent found that id and the code raised or returned otherwise; the tenants' own
    table (the one the tenant key references, `organizations`) is scoped by its `id`.

    A per-user table is no tenant's either way: when every read of it in the project pins
    an owner column (`owner-keys`), no read embeds other tables (`select("*, pages(*)")`),
    and no view, migration function or API policy reads it by the tenant key, an insert
    of the caller's own row (owner key = the principal) may carry a tenant id from the
    request: it is a tag no read goes by (`notifications` tagged with a workspace).

    One missing check is one finding: in a function, a read by the same request input
    whose rows stay there (tested, put in an error message, or handed only to other
    sites reported for that input: a plan gate, a 404 pre-check) is listed as a related
    location of the first site whose rows leave or that writes. Alone, it is reported.
    A lookup in the tenant the request chose (`.eq("org_id", org_id).eq("id", wf_id)`)
    that found a row proves nothing about that tenant: the sites after it are judged
    with the request's value.

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
        # The parent id was verified by a tenant-scoped lookup that raises.
        Example(
            _CONTACTS_ROUTE
            + '    org = current_user["organization_id"]\n'
            + '    found = sb.table("companies").select("id").eq("id", company_id)'
            + '.eq("organization_id", org).execute()\n'
            + "    if not found.data:\n        raise LookupError(company_id)\n"
            + "    return "
            + _CONTACTS
            + "\n",
            migrations=(("001.sql", _CRM),),
        ),
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
        # A dependency of the route checked the path's org: a membership lookup raising.
        "from fastapi import Depends\n\n"
        "def require_member(org_id: str, current_user=Depends(get_user)):\n"
        '    if not db.select("members", {"clerk_org_id": org_id, "user_id": current_user["user_id"]}):\n'
        "        raise PermissionError(org_id)\n\n"
        '@router.get("/orgs/{org_id}/calls")\n'
        "def f(org_id: str, member=Depends(require_member)):\n"
        '    return db.select("calls", {"clerk_org_id": org_id})\n',
        # Checked against the caller's own memberships, through an alias.
        '@router.get("/orgs/{org_id}/calls")\ndef f(org_id: str, current_user=None):\n'
        '    mine = db.select("members", {"user_id": current_user["user_id"]})\n'
        '    allowed = {m["clerk_org_id"] for m in mine}\n    oid = str(org_id)\n'
        "    if oid not in allowed:\n        raise PermissionError(org_id)\n"
        '    return db.select("calls", {"clerk_org_id": org_id})\n',
        # The caller's own row of a table only its owners read: the org is a tag.
        Example(
            _NOTE_INSERT + "\n",
            migrations=(("001.sql", _NOTES[0]),),
            files=(("app/mine.py", _MY_NOTES),),
        ),
    )
    invalid = (
        # The same, once one read goes by the org: the note shows up in that tenant.
        Example(
            _NOTE_INSERT + "  # expect: ORG009\n",
            migrations=(("001.sql", _NOTES[0]),),
            files=(
                ("app/mine.py", _MY_NOTES),
                (
                    "app/org.py",
                    '@router.get("/org-notes")\ndef org_notes(current_user=None):\n'
                    '    return sb.table("notes").select("*")'
                    '.eq("clerk_org_id", current_user["clerk_org_id"]).execute()\n',
                ),
            ),
        ),
        Example(
            _CONTACTS_ROUTE + "    return " + _CONTACTS + "  # expect: ORG009\n",
            migrations=(("001.sql", _CRM),),
        ),
        Example(
            '@router.get("/orgs/{org_id}")\ndef f(org_id: str):\n'
            '    return sb.table("organizations").select("*").eq("id", org_id).execute()'
            "  # expect: ORG009\n",
            migrations=(("001.sql", _CRM),),
        ),
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
        # The allowed set comes from the request: it proves nothing.
        '@router.post("/orgs/{org_id}/calls")\ndef f(org_id: str, body: Scope):\n'
        "    if org_id not in body.org_ids:\n        raise PermissionError(org_id)\n"
        '    return db.select("calls", {"clerk_org_id": org_id})  # expect: ORG009\n',
        # A service told the tenant by its caller: reported where the request's id enters.
        "def list_calls(org_id):\n"
        '    return db.select("calls", {"clerk_org_id": org_id})\n\n'
        '@router.get("/orgs/{org_id}/calls")\n'
        "def f(org_id: str, current_user=None):\n"
        "    return list_calls(org_id)  # expect: ORG009\n",
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        def message(query: Query, key: str) -> str:
            where = _where(tenant_origin(query, project, facts))
            if query.table in project.tenant_rows and project.key_for(query.table) is None:
                return (
                    f"{call_text(query)} on `{query.table}`, the tenants' own rows, takes "
                    f"`{key}` from {where}: the caller chooses whose organization it reads; "
                    f"use the authenticated principal's org"
                )
            parent = _parent_of(query, project)
            if parent is not None:
                return (
                    f"{call_text(query)} on `{query.table}` (scoped through `{parent}`) "
                    f"takes `{key}` from {where} and {_unverified(parent)}, raising when it "
                    f"is not found"
                )
            return (
                f"{call_text(query)} on `{query.table}` takes `{key}` from {where}: the caller "
                f"chooses the tenant; use the authenticated principal's org"
            )

        at_queries = query_findings(self, facts, project, Verdict.UNTRUSTED, message)
        queries = {(q.span.line, q.span.column): q for q in facts.queries}
        sites = [
            _query_site(finding, queries[(finding.line, finding.column)], facts, project)
            for finding in at_queries
        ]
        yield from fold([*sites, *self._at_callers(facts, project)])

    def _at_callers(self, facts: FileFacts, project: Project) -> Iterator[Site]:
        """Where request input enters a helper as the tenant id its query is set to: one
        finding per call, naming the first query (the others are related)."""

        def message(first: Reached, given: str) -> str:
            query = first.query
            where = _where(first.entry.origin)
            parent = _parent_of(query, project)
            if parent is not None:
                return (
                    f"`{first.entry.callee}` is given {given} from {where} here, and "
                    f"{call_text(query)} on `{query.table}` (scoped through `{parent}`, "
                    f"{first.path}:{query.span.line}) takes its "
                    f"`{project.scoping_column(query.table)}` from it, and {_unverified(parent)}"
                )
            return (
                f"`{first.entry.callee}` is given {given} from {where} here, and "
                f"{call_text(query)} on `{query.table}` ({first.path}:{query.span.line}) "
                f"takes its `{project.key_for(query.table) or ''}` from it: the caller "
                f"chooses the tenant; pass the authenticated principal's org"
            )

        reached = tenant_leaks_in(facts.path, project)
        by_call: dict[tuple[int, int], list[Reached]] = {}
        for found in reached:
            call = found.entry.site.call
            by_call.setdefault((call.span.line, call.span.column), []).append(found)
        for finding, _ in caller_findings(
            self, facts, reached, message, "the query it sets the tenant of"
        ):
            found = by_call[(finding.line, finding.column)]
            call = found[0].entry.site.call
            reads = all(r.query.operation in _READS for r in found)
            stays = call.result_stays if reads else None
            yield Site(finding, call.function, found[0].entry.origin, stays)


_READS = ("read", "count")


def _query_site(finding: Finding, query: Query, facts: FileFacts, project: Project) -> Site:
    stays = query.rows_stay if query.operation in _READS else None
    return Site(finding, query.function, tenant_origin(query, project, facts), stays)


def _where(origin: str) -> str:
    """`a request header`, or `` `get_org_context`, which can return a request header``
    for input a dependency hands the route."""
    base, _, dependency = origin.partition(VIA)
    where = _WHERE.get(base, "request input")
    return f"`{dependency}`, which can return {where}" if dependency else where


def _parent_of(query: Query, project: Project) -> str | None:
    """The parent table a child table without a tenant key of its own is scoped through."""
    link = project.parents.get(query.table)
    return link.parent if link is not None and project.key_for(query.table) is None else None


def _unverified(parent: str) -> str:
    return (
        f"no tenant-scoped lookup of `{parent}` verified it: look the {parent} row up by "
        f"id and the principal's org first"
    )
