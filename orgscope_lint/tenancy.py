"""One verdict per query: the single place that decides which rule owns a faulty site.

Each tenant rule reports one verdict, so a site never gets two findings, and the
precedence (ORG204 over everything: a query naming a renamed tenant column cannot run;
ORG009 over ORG008 over a present key, ORG002 and ORG010 over ORG001, ORG005 over its
own inner query, a follow-up query under its root) lives here and nowhere else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from orgscope_lint import related_rows
from orgscope_lint.analysis import (
    builder_api,
    dependency_checks,
    dependency_values,
    execution_context,
    fresh_values,
    identity,
    retention,
    row_checks,
)
from orgscope_lint.analysis.parent_scoping import ChildVerdict, judge_child
from orgscope_lint.analysis.system_context import TENANT_WORDS
from orgscope_lint.anonymous_rows import visitors_own_row
from orgscope_lint.facts import (
    FileFacts,
    FunctionFact,
    HelperCall,
    KeyFact,
    KeyState,
    Query,
    ShapeKind,
)
from orgscope_lint.findings import Related
from orgscope_lint.per_user_tables import per_user_table
from orgscope_lint.project import Project
from orgscope_lint.returned_rows import from_returned_row
from orgscope_lint.rls.model import Location
from orgscope_lint.untagged_tables import untagged_table

TENANT_ROW_KEY = "id"
_READS = ("read", "count")


class Verdict(enum.Enum):
    NOT_TENANT = "not a tenant table"
    SCOPED = "scoped"
    UNFILTERED = "no filter at all"  # ORG002
    STALE_KEY = "legacy key only"  # ORG010
    # A filter or record naming a tenant column a migration renamed: it no longer
    # exists, so the query fails whatever else it holds (ORG204, at the code).
    RENAMED_KEY = "a tenant column renamed away"
    MISSING = "tenant key missing"  # ORG001 / ORG003
    CONDITIONAL = "tenant key on some paths"  # ORG007
    UNKNOWN = "cannot see into"  # ORG012
    HELPER_DROPS = "inside a helper that drops its org"  # ORG005 owns it
    UNTRUSTED = "tenant id from request input"  # ORG009
    UNVERIFIED = "tenant id may be missing"  # ORG008
    FOLLOWS = "judged by the earlier query whose row it uses"  # the root owns it
    # Pinned by a parameter some caller fills from the request: reported at that call
    # (ORG001, `analysis/caller_proof`), the leak's entry, not again here.
    AT_CALLERS = "request input reaches it through a caller"


def verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    """The verdict, computed once per query per run: every tenant rule asks for it."""
    known = project.verdicts.get(id(query))
    if known is None:
        known = project.verdicts[id(query)] = _verdict(query, facts, project)
        if known is Verdict.MISSING and _feeds_unscoped_update(query, facts, project):
            known = project.verdicts[id(query)] = Verdict.FOLLOWS
    return known


def _feeds_unscoped_update(query: Query, facts: FileFacts, project: Project) -> bool:
    """A read whose rows only feed the update of the same row (`analysis/row_feeds.py`),
    when that update is itself reported: its finding covers the read. Asked once the
    read is judged MISSING, so an update verified by this very read sees it unscoped."""
    if query.feeds is None or query.operation not in _READS:
        return False
    return verdict(facts.queries[query.feeds], facts, project) in _UNSCOPED


def checked_after_fetch(query: Query, facts: FileFacts, project: Project) -> bool:
    """The row was compared with the caller right after the fetch, raising otherwise:
    with the principal itself, or with a parameter every caller of the function passes
    the principal's own id as (`get_messages(conversation_id, user_id)` called with
    `current_user["id"]`)."""
    if query.ownership_checked:
        return True
    if query.checked_by_param is None:
        return False
    from orgscope_lint.analysis.caller_proof import Proof, param_proof

    fn = facts.function(query.function)
    if fn is None:
        return False
    if query.checked_by_param in project.identity_params(fn):
        return True  # a dependency fills it with the caller's own id
    return param_proof(fn, facts.path, query.checked_by_param, project) is Proof.OWNER


def _verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    if renamed_column(query, project) is not None:
        return Verdict.RENAMED_KEY  # before any other: the query cannot run at all
    if query.public_rows and query.operation in _READS:
        return Verdict.NOT_TENANT  # only rows their owners made public: anyone's to read
    if checked_after_fetch(query, facts, project) or (
        query.public_checked and query.operation in _READS
    ):
        return Verdict.SCOPED  # compared with the caller right after the fetch
    key = project.key_for(query.table)
    if key is None:
        return _child_verdict(query, facts, project)
    if query.operation in ("read", "count") and fresh_values.probes_fresh_value(query.shape):
        return Verdict.NOT_TENANT  # a uniqueness probe of a value generated just before
    if query.operation in _READS and builder_api.only_ownerless(query.shape, key):
        return Verdict.NOT_TENANT  # `.is_(key, "null")`: rows no tenant owns, shared by all
    if retention.sweeps_expired(query):
        return Verdict.NOT_TENANT  # removes only what expired, for every tenant alike
    if query.extreme_id:
        return Verdict.NOT_TENANT  # the highest id, to number the next row: a sequence
    if query.operation in _READS and _shared_for_reading(query.table, project):
        return Verdict.NOT_TENANT  # its policies open it to every reader, on purpose
    if checked_against_own_row(query, facts, project) or checked_against_parent(
        query, facts, project
    ):
        return Verdict.SCOPED
    if row_checks.checked_by_call(query, facts, project) is not None:
        return Verdict.SCOPED  # an assert helper compared its row with the caller
    if row_checks.found_among_parents(query, project):
        return Verdict.SCOPED  # its parent is among the caller's own parent rows
    shape = query.shape
    state = project.state_for(shape, key)
    if _existence_only(query, facts, state):
        return Verdict.NOT_TENANT  # only tested for existence, or never read: nothing leaves
    if query.operation != "insert" and shape.kind in (ShapeKind.NONE, ShapeKind.EMPTY):
        return Verdict.UNFILTERED
    if state is KeyState.PRESENT or state is KeyState.CONDITIONAL:
        if _key_from_unscoped_row(query, facts, project):
            return Verdict.FOLLOWS
        origin = tenant_origin(query, project, facts)
        membership_check = query.operation != "insert" and _owner_scoped(query, project, facts)
        if origin.startswith("request") and not membership_check:
            # Pinned to the principal's own user as well, it is the membership check
            # that validates the requested tenant, not a use of it.
            if _own_per_user_row(query, project) or _tenant_authorised(query, facts, project):
                return Verdict.SCOPED
            if _ids_from_own_rows(query, facts, project):
                return Verdict.SCOPED  # only rows the caller's own rows name
            return Verdict.UNTRUSTED
        if origin == "unverified":
            return Verdict.UNVERIFIED
        if state is KeyState.CONDITIONAL and _owner_where_tenant_missing(query, key, project):
            return Verdict.SCOPED  # the tenant's rows, or else the caller's own: closed
        return Verdict.SCOPED if state is KeyState.PRESENT else Verdict.CONDITIONAL
    if state is KeyState.UNKNOWN or shape.kind is ShapeKind.NONE:
        return Verdict.UNKNOWN
    if query.operation == "insert":
        if _own_per_user_row(query, project):
            return Verdict.SCOPED
        fn = facts.function(query.function)
        # An anonymous caller's own new row (a sign-up, a visitor's session): there is
        # no tenant to stamp on it yet, and no other tenant's row is touched. An upsert
        # may overwrite one: still reported.
        created = query.method != "upsert" and fn is not None and fn.anonymous
        if created or _new_tenant_or_own_identity(query, key, fn, project):
            return Verdict.NOT_TENANT
        return Verdict.SCOPED if untagged_insert(query, project) else Verdict.MISSING
    return _absent_key_verdict(query, facts, project)


def _new_tenant_or_own_identity(
    query: Query, key: str, fn: FunctionFact | None, project: Project
) -> bool:
    """An insert (an upsert may overwrite another row) that makes a new tenant, the
    database giving it the key that alone names its row (`workspaces.workspace_id`), or
    the caller's own identity row (`profiles.id` set to the caller's id): no tenant's
    existing row is written, and there is no tenant to stamp on it."""
    if query.method == "upsert":
        return False
    unique = project.unique_columns(query.table)
    if key in unique:
        return True
    from orgscope_lint.analysis import identity

    own = project.identity_params(fn) if fn is not None else frozenset()
    return identity.own_identity_record(query.shape, fn, project.principal_providers, own, unique)


def untagged_insert(query: Query, project: Project) -> bool:
    """A new row (not an upsert, which may overwrite another tenant's) of a table no
    read goes by its tenant key (`untagged_tables.py`): the missing key hides it from
    no read and shows it to no other tenant."""
    return query.method != "upsert" and untagged_table(query.table, project)


def own_per_user_row(query: Query, project: Project) -> bool:
    return _own_per_user_row(query, project)


def _own_per_user_row(query: Query, project: Project) -> bool:
    """A write of the caller's own row (an owner key pins the principal) to a table only
    owners read (`per_user_tables.py`): its tenant column is a tag no read goes by."""
    return any(
        _pinned_to_principal(query.shape.get(owner)) for owner in project.config.owner_keys
    ) and per_user_table(query.table, project)


def _shared_for_reading(table: str, project: Project) -> bool:
    from orgscope_lint.rls.shared_reads import shared_for_reading

    return shared_for_reading(table, project) is not None


def existence_only(query: Query, facts: FileFacts, project: Project) -> bool:
    """Only tested for existence, and relied on by nothing after it (see below)."""
    key = project.key_for(query.table)
    return key is not None and _existence_only(query, facts, project.state_for(query.shape, key))


def _existence_only(query: Query, facts: FileFacts, state: KeyState) -> bool:
    """An unscoped read whose rows nothing uses, and whose check no later query relies
    on: a lookup by id alone that "verifies" what a later query uses is where that
    check-then-act's fault is reported."""
    if not query.rows_unused or not (
        state is KeyState.ABSENT or query.shape.kind is ShapeKind.EMPTY
    ):
        return False
    index = _index_of(query, facts)
    if index is None:
        return False
    ref = f"q{index}"
    relied = (f"verified:{ref}", ref)
    return not any(
        fact.origin in relied or fact.row == ref for q in facts.queries for fact in q.shape.keys
    ) and not any(
        arg.lookup is not None and arg.lookup.span == query.span
        for call in facts.calls
        for arg in call.args
    )


def checked_against_own_row(query: Query, facts: FileFacts, project: Project) -> bool:
    """The row's scoping column matched a field of the caller's own identity row (the
    project an API key belongs to): the row is the caller's."""
    if query.checked_against is None:
        return False
    ref, column = query.checked_against
    root = facts.queries[int(ref[1:])]
    return (
        root is not query
        and column == project.scoping_column(query.table)
        and _owner_scoped(root, project, facts)
    )


def checked_against_parent(query: Query, facts: FileFacts, project: Project) -> bool:
    """`if entry["page_id"] != page_id: raise`, after a scoped lookup of `pages` verified
    `page_id`, or a scoped lookup of `pages` by `entry["page_id"]` that raised when it
    found nothing: the row's foreign key leads to a parent the caller may act on, so the
    row is that parent's (the same reasoning as a child table scoped through its parent)."""
    if query.checked_against is None or query.operation == "insert":
        return False
    ref, column = query.checked_against
    root = facts.queries[int(ref[1:])]
    parent = project.referenced(query.table, column)
    return (
        root is not query
        and parent == root.table
        and project.key_for(root.table) is not None
        and verdict(root, facts, project) is Verdict.SCOPED
    )


# Verdicts of a query whose rows may be another tenant's.
_UNSCOPED = frozenset(
    {
        Verdict.MISSING,
        Verdict.UNFILTERED,
        Verdict.STALE_KEY,
        Verdict.UNTRUSTED,
        Verdict.FOLLOWS,
        Verdict.HELPER_DROPS,
    }
)


def _key_from_unscoped_row(query: Query, facts: FileFacts, project: Project) -> bool:
    """The tenant key's value was read from the row of an earlier unscoped query
    (`account_id = agent["account_id"]` of an agent fetched by id alone): the filter is
    only as good as that query, whose finding covers this one."""
    column = project.scoping_column(query.table)
    fact = query.shape.get(column) if column else None
    ref = (fact.row or "") if fact is not None else ""
    if not ref.startswith("q"):
        return False
    index = int(ref[1:])
    if not any(q is query for q in facts.queries[index + 1 :]):
        return False  # itself, or a loop's later query: never judged by what comes after
    root = facts.queries[index]
    return project.key_for(root.table) is not None and verdict(root, facts, project) in _UNSCOPED


def _absent_key_verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    if _owner_scoped(query, project, facts) or _from_own_row(query, facts, project):
        return Verdict.SCOPED
    if follows(query, facts, project) is not None:
        return Verdict.FOLLOWS
    if from_returned_row(query, facts, project):
        return Verdict.SCOPED  # the id of a row a scoped read elsewhere returned here
    if _verified_by_lookup(query, facts, project):
        return Verdict.SCOPED
    if dependency_checks.query_check(query, facts.function(query.function), project, facts.path):
        return Verdict.SCOPED
    if drops_tenant(facts.function(query.function), facts, project):
        return Verdict.HELPER_DROPS
    if stale_key(query, project) is not None:
        return Verdict.STALE_KEY
    if execution_context.context_pin(query) is not None:
        return Verdict.SCOPED  # the run's own row: defense in depth (ORG013)
    if visitors_own_row(query, facts, project):
        return Verdict.NOT_TENANT  # an anonymous visitor's row, by the id they were given
    return _callers_verdict(query, facts, project)


def _callers_verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    """A filter pinned only by parameters: as scoped as what every caller passes."""
    from orgscope_lint.analysis.caller_proof import Proof, judge

    judged = judge(query, facts.path, facts.function(query.function), project)
    if judged.proof is Proof.LEAK:
        return Verdict.MISSING if judged.partial else Verdict.AT_CALLERS
    return Verdict.MISSING if judged.proof is Proof.UNPROVEN else Verdict.SCOPED


def _child_verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    """A table scoped through its parent: judged by the parent id it is filtered by."""
    owned = query.operation != "insert" and (
        _owner_scoped(query, project, facts) or _from_own_row(query, facts, project)
    )
    if query.table in project.tenant_rows:
        # A tenant the caller owns or was found a member of, also by a dependency of
        # the route (`organization_id: str, ctx=Depends(get_organization_context)`).
        found = Verdict.SCOPED if owned else _tenant_row_verdict(query, facts, project)
        if found is Verdict.UNTRUSTED and _tenant_authorised(query, facts, project):
            return Verdict.SCOPED
        return found
    link = project.parents.get(query.table)
    if link is None or owned:
        return Verdict.NOT_TENANT
    if query.operation == "insert" and _own_per_user_row(query, project):
        return Verdict.SCOPED
    if _parent_checked(query, link.column, link.parent, facts, project):
        return Verdict.SCOPED
    child = judge_child(query, link.column, lambda ref: _root_scoped(ref, query, facts, project))
    if child is ChildVerdict.UNTRUSTED:
        return Verdict.UNTRUSTED
    return Verdict.SCOPED if child is ChildVerdict.SCOPED else Verdict.NOT_TENANT


def _parent_checked(
    query: Query, column: str, parent: str, facts: FileFacts, project: Project
) -> bool:
    """The parent id was checked against that parent table before this query, by a
    route dependency or by a function called with it (`verify_thread_access(...)`)."""
    fact = query.shape.get(column)
    fn = facts.function(query.function)
    if fact is None or not fact.always or fn is None:
        return False
    found = None
    if fact.checked:
        found = dependency_checks.called_check(facts.path, fn.qualname, fact.checked, project)
    if found is None and len(fact.params) == 1 and (fact.origin or "").startswith("request"):
        found = dependency_checks.route_check(fn, fact.params[0], project)
    return found is not None and found.table == parent


def _tenant_row_verdict(query: Query, facts: FileFacts, project: Project) -> Verdict:
    """A tenant's own row is scoped by its `id`: judged only when the query pins it (a
    new tenant's insert, a lookup by another column, stay outside the tenant rules)."""
    fact = query.shape.get(TENANT_ROW_KEY)
    if query.operation == "insert" or fact is None or not fact.always:
        return Verdict.NOT_TENANT
    origin = _origin(fact, query, facts, project)
    if origin.startswith("request"):
        return Verdict.UNTRUSTED
    return Verdict.SCOPED if origin == "principal" else Verdict.NOT_TENANT


def _tenant_authorised(query: Query, facts: FileFacts, project: Project) -> bool:
    """The requested tenant is a route parameter a dependency of the route checked, by a
    tenant-scoped or membership lookup that raised when it found nothing
    (`org_id: str, member=Depends(require_member)` with `require_member(org_id, ...)`),
    or the route itself called such a check with it first; or, for a read, a call the
    function makes with it before it returns: nothing read leaves before that."""
    key = project.scoping_column(query.table)
    fact = query.shape.get(key) if key else None
    if fact is None or not fact.always or len(fact.params) != 1:
        return False
    fn = facts.function(query.function)
    param = fact.params[0]
    if dependency_checks.route_check(fn, param, project) is not None:
        return True
    # `require_member(org_id, user_id)` returned before the query.
    checked = fact.checked and fn is not None
    if checked and dependency_checks.called_check(facts.path, fn.qualname, fact.checked, project):
        return True
    return query.operation in _READS and (
        dependency_checks.checked_before_exit(fn, param, facts.path, project) is not None
    )


def tenant_origin(query: Query, project: Project, facts: FileFacts | None = None) -> str:
    """Where the tenant id the query is scoped by comes from; with `facts`, also from
    a dependency of the route that may return request input (`dependency_values`)."""
    key = project.scoping_column(query.table)
    fact = query.shape.get(key) if key else None
    if fact is None:
        return ""
    return _origin(fact, query, facts, project) if facts is not None else fact.origin or ""


def _origin(fact: KeyFact, query: Query, facts: FileFacts, project: Project) -> str:
    if fact.origin or not fact.always or len(fact.params) != 1:
        return fact.origin or ""
    fn = facts.function(query.function)  # a route's dependency may hand it over
    return dependency_values.request_origin(fn, fact.params[0], project) or ""


def _owner_scoped(query: Query, project: Project, facts: FileFacts | None = None) -> bool:
    """Pinned to the principal's own user, or the caller's own identity row: narrower
    than the tenant. Without `facts`, the function that resolves the principal is not
    known, and only the principal's own fields count as its identity."""
    if query.credential_verified or any(
        _pinned_to_principal(query.shape.get(owner)) for owner in project.config.owner_keys
    ):
        return True
    if any(_pinned_to_principal_id(fact, project) for fact in query.shape.keys):
        return True
    fn = facts.function(query.function) if facts is not None else None
    return identity.pins_own_identity(
        query.shape, fn, project.principal_providers, project.identity_params(fn)
    )


def _from_own_row(query: Query, facts: FileFacts, project: Project) -> bool:
    """A read pinned to what the caller's own identity row links to (`related_rows.py`)."""
    if query.operation not in _READS:
        return False

    owners = set(project.config.owner_keys)

    def own_identity(root: Query) -> bool:
        # An owner key (`user_id`) pins a row the caller owns, not the caller's identity.
        keys = tuple(fact for fact in root.shape.keys if fact.key not in owners)
        shape = replace(root.shape, keys=keys)
        fn = facts.function(root.function)
        return (
            root.credential_verified
            or identity.pins_own_identity(
                shape, fn, project.principal_providers, project.identity_params(fn)
            )
            or _from_own_row(root, facts, project)
        )

    return related_rows.from_own_row(query, facts, project, own_identity)


def _ids_from_own_rows(query: Query, facts: FileFacts, project: Project) -> bool:
    """A read pinned by `id` to ids the caller's own rows hold (`.in_("id", [r["workflow_id"]
    for r in my_runs])`, `my_runs` read pinned to the caller's own id): only the rows
    the caller's own rows name. A write by them is judged as usual: what a row names is
    not proof that the caller may change it."""
    fact = query.shape.get(TENANT_ROW_KEY)
    if query.operation not in _READS or fact is None or not fact.always:
        return False
    ref = fact.row or ""
    if not ref.startswith("q") or not ref[1:].isdigit() or int(ref[1:]) >= len(facts.queries):
        return False
    root = facts.queries[int(ref[1:])]
    return root.operation in _READS and _owner_scoped(root, project, facts)


def _owner_where_tenant_missing(query: Query, key: str, project: Project) -> bool:
    """`if user.org_id: q = q.eq("org_id", ...)` / `else: q = q.eq("user_id", me)`: on
    the paths without the tenant key an owner key pins the principal's own id (or it
    does on every path), so the query never widens to other tenants' rows."""
    tenant = query.shape.get(key)
    if tenant is None:
        return False
    otherwise: set[str | None] = set()
    if tenant.condition is not None:  # else only an owner pinned on every path closes it
        otherwise.add(f"not ({tenant.condition})")
        if tenant.condition.startswith("not (") and tenant.condition.endswith(")"):
            otherwise.add(tenant.condition[5:-1])
    pins = [query.shape.get(owner) for owner in project.config.owner_keys]
    return any(
        fact.origin == "principal"
        and not fact.maybe_empty
        and (fact.always or fact.condition in otherwise)
        for fact in pins
        if fact is not None
    )


def _pinned_to_principal(fact: KeyFact | None) -> bool:
    return fact is not None and fact.always and fact.origin == "principal"


def _pinned_to_principal_id(fact: KeyFact, project: Project) -> bool:
    """Any column pinned to an id of the principal's own that names the caller, not a
    tenant (`.eq("triggered_by", current_user["user_id"])`, `.eq("caller_id",
    ctx["caller_id"])`): the caller's own rows, narrower than the tenant."""
    field = fact.column
    if not _pinned_to_principal(fact) or fact.row or not field:
        return False
    if field in (project.config.tenant_key, *project.config.legacy_keys):
        return False
    personal = identity.is_identity_column(field) or field.endswith("_id")
    return personal and not TENANT_WORDS.search(field)


def follows(query: Query, facts: FileFacts, project: Project) -> str | None:
    """The earlier query or scoped-helper call whose row this query's filter reads.

    If that root is scoped, the row is the tenant's and so is the id (provenance); if it
    is not, the root's own finding covers this one (one root cause, one finding). A root
    on a table no tenant owns proves nothing and reports nothing: the query is judged alone.
    """
    for fact in query.shape.keys:
        if not fact.always or not fact.row:
            continue
        if fact.row.startswith("q"):
            root = facts.queries[int(fact.row[1:])]
            if project.key_for(root.table) is None or _public_only(root, query):
                continue
            if _before_check(root, query, facts) and not identity.found_by_secret(root):
                # It used the row before the check on it: judged on its own (unless a
                # secret the caller presented had already made it the caller's).
                continue
            return fact.row
        call = facts.helper_calls[int(fact.row[1:])]
        plain = not call.receiver
        if project.helper_param(call.name, call.receiver_class, True, plain, facts.path):
            return fact.row
    if query.feeds is not None and project.verdicts.get(id(query)) is Verdict.FOLLOWS:
        return f"q{query.feeds}"  # read-modify-write: the update's finding covers it
    return None


def _before_check(root: Query, query: Query, facts: FileFacts) -> bool:
    """`row = get(id)`, `update(...).eq("id", row["id"])`, then `if row["org_id"] != me:
    raise`: the write ran before the row was checked, so the check vouches for nothing
    it did (nor does the unchecked read cover it: the read is scoped by the check)."""
    if not root.ownership_checked or root.checked_from is None:
        return False
    index = _index_of(query, facts)
    return index is not None and index < root.checked_from


def _index_of(query: Query, facts: FileFacts) -> int | None:
    """Its position among the file's queries (by identity: two may be equal)."""
    return next((i for i, q in enumerate(facts.queries) if q is query), None)


def _public_only(root: Query, query: Query) -> bool:
    """The root row may be another tenant's public one: a write by its values is judged
    on its own, never covered by the read."""
    return root.public_checked and not root.ownership_checked and query.operation not in _READS


def _verified_by_lookup(query: Query, facts: FileFacts, project: Project) -> bool:
    return verifying_lookup(query, facts, project) is not None


def verifying_lookup(query: Query, facts: FileFacts, project: Project) -> str | None:
    """Check-then-act: the tenant-scoped lookup ("q3", "h1") that found the row by an id
    this filter pins, the code raising or returning otherwise. Not when the filter's
    columns name a row only within a tenant: the lookup found the caller's row of that
    name, and this query reaches every tenant's (`Project.unique_per_tenant`)."""
    pinned = [fact.key for fact in query.shape.keys if fact.always]
    if project.unique_per_tenant(query.table, pinned):
        return None
    for fact in query.shape.keys:
        origin = fact.origin or ""
        if not fact.always or not origin.startswith("verified:"):
            continue
        ref = origin.split(":", 1)[1]
        if _root_scoped(ref, query, facts, project):
            return ref
    return None


def owner_scoped(query: Query, facts: FileFacts, project: Project) -> bool:
    return _owner_scoped(query, project, facts)


def owner_key_pinned(query: Query, project: Project) -> bool:
    """Owner-scoped as far as the query alone shows (no function to resolve the
    principal in): for a query judged from another file's summary."""
    return _owner_scoped(query, project)


def scoped_helper_call(call: HelperCall, project: Project, path: str | None = None) -> bool:
    return _scoped_helper_call(call, project, path)


def root_scoped(ref: str, query: Query, facts: FileFacts, project: Project) -> bool:
    return _root_scoped(ref, query, facts, project)


def _root_scoped(ref: str, query: Query, facts: FileFacts, project: Project) -> bool:
    """The lookup `ref` ("q3", "h1") that verified an id was itself tenant-scoped."""
    if ref.startswith("q"):
        root = facts.queries[int(ref[1:])]
        return root is not query and verdict(root, facts, project) is Verdict.SCOPED
    return _scoped_helper_call(facts.helper_calls[int(ref[1:])], project, facts.path)


def _scoped_helper_call(call: HelperCall, project: Project, path: str | None = None) -> bool:
    """A call of a scoped helper (made in file `path`) that passed the org: its row is
    the tenant's."""
    if call.name in project.dropping_helpers:
        return False
    plain = not call.receiver
    param = project.helper_param(call.name, call.receiver_class, True, plain, path)
    return param is not None and passes_org(call, param, project)


def passes_org(call: HelperCall, param: str, project: Project) -> bool:
    """Whether a helper call gives its org parameter, by keyword or by position."""
    if param in call.empty_keywords:
        return False
    if param in call.keywords or call.has_star_args:
        return True
    index = project.helper_param_index(call.name, param)
    return call.positional > (index if index is not None else 1)


def falls_back_on_principal(call: HelperCall, facts: FileFacts, project: Project) -> bool:
    """`write_audit(sb, current_user, ...)` without `company_id`: the helper takes its
    tenant key from other parameters when the org one is not given (`company_id or
    user.get("company_id")`), and this call passes the principal to one of them."""
    from orgscope_lint.analysis.caller_proof import argument

    fn, params = project.helper_fallbacks.get(call.name, (None, ()))
    made = next((c for c in facts.calls if c.span == call.span and c.name == call.name), None)
    if fn is None or made is None:
        return False
    given = (argument(made, fn, param) for param in params)
    return any(arg is not None and arg.origin in ("principal", "unverified") for arg in given)


def followers(ref: str, facts: FileFacts, project: Project) -> int:
    return len(follower_queries(ref, facts, project))


def follower_queries(ref: str, facts: FileFacts, project: Project) -> list[Query]:
    """The later queries whose filters read the rows of `ref`: its finding stands for them."""
    return [
        q for q in facts.queries if q.operation != "insert" and follows(q, facts, project) == ref
    ]


def follow_related(ref: str, facts: FileFacts, project: Project) -> tuple[Related, ...]:
    return tuple(
        Related(facts.path, q.span.line, _follower_role(q, ref))
        for q in follower_queries(ref, facts, project)
    )


def _follower_role(query: Query, ref: str) -> str:
    if _feeder(query, ref):
        return f"`{query.method}` on `{query.table}` reads the same row for this update"
    return f"`{query.method}` on `{query.table}` uses its rows"


def _feeder(query: Query, ref: str) -> bool:
    return query.feeds is not None and ref == f"q{query.feeds}"


@dataclass(frozen=True, slots=True)
class RenamedColumn:
    old: str
    new: str
    location: Location  # the RENAME COLUMN statement


def renamed_column(query: Query, project: Project) -> RenamedColumn | None:
    """A tenant column the query's filter (or record) names that a migration renamed,
    with no column by that name at the end of the history. In scope are renames of a
    tenant key, a candidate or a legacy key, and renames to one: the tenant column."""
    model = project.schema.rls
    table = model.tables.get(query.table) if model is not None else None
    if table is None or not table.renamed:
        return None
    config = project.config
    tenant_names = {
        config.tenant_key,
        *config.tenant_key_candidates,
        *config.legacy_keys,
        config.table_keys.get(query.table),
    }
    for name in query.shape.key_names:
        found = table.renamed.get(name)
        if found is not None and {name, found[0]} & tenant_names:
            return RenamedColumn(name, found[0], found[1])
    return None


def stale_key(query: Query, project: Project) -> str | None:
    """The legacy key a filter uses in place of its table's key, if any."""
    key = project.key_for(query.table)
    for legacy in project.config.legacy_keys:
        if legacy != key and query.shape.state_for(legacy) is KeyState.PRESENT:
            return legacy
    return None


def drops_tenant(fn: FunctionFact | None, facts: FileFacts, project: Project) -> bool:
    """A DB-class method that receives an org but none of its tenant queries uses the key."""
    if fn is None or not fn.db_class or not fn.org_params:
        return False
    return project.never_scopes(fn, facts)


def rls_note(query_class: str | None, project: Project) -> str:
    if project.bypasses_rls(query_class):
        return f" ({query_class} bypasses row-level security: this filter is the only guard)"
    return ""


def follow_note(ref: str, facts: FileFacts, project: Project) -> str:
    followers = follower_queries(ref, facts, project)
    feeders = [q for q in followers if _feeder(q, ref)]
    users = [q for q in followers if not _feeder(q, ref)]
    note = ""
    if feeders:
        note += f"; the read{'s' if len(feeders) > 1 else ''} of the same row at {_lines(feeders)}"
        note += " only feed" + ("" if len(feeders) > 1 else "s") + " it"
    if users:
        count = len(users)
        note += f"; {count} later quer{'y uses' if count == 1 else 'ies use'} its rows"
        note += f" ({_lines(users)})"
    return note


def _lines(queries: list[Query]) -> str:
    lines = sorted({q.span.line for q in queries})
    return f"line{'s' if len(lines) > 1 else ''} " + ", ".join(str(line) for line in lines)
