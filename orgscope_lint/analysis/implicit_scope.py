"""Queries that are safe today only because of something else: defense in depth (ORG013).

The verdict stays silent on a write by id alone when an earlier tenant-scoped lookup of
that id raised on absence (check-then-act), when the id was read from a scoped query's
row (provenance), or when the row's tenant key was compared with the principal's right
after the fetch. Each is correct, and each breaks silently when the code around it
changes: this module says which of them a query relies on, and where.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from orgscope_lint.analysis import (
    caller_proof,
    dependency_checks,
    execution_context,
    identity,
    row_checks,
)
from orgscope_lint.facts import FileFacts, KeyState, Query, ShapeKind
from orgscope_lint.findings import Related, Span
from orgscope_lint.project import Project
from orgscope_lint.returned_rows import returned_read
from orgscope_lint.tenancy import (
    Verdict,
    checked_after_fetch,
    checked_against_own_row,
    checked_against_parent,
    follows,
    own_per_user_row,
    owner_scoped,
    root_scoped,
    untagged_insert,
    verdict,
    verifying_lookup,
)


@dataclass(frozen=True)
class Reliance:
    # "check" | "row" | "returned" | "ownership" | "helper" | "callers" | "dependency" |
    # "context"
    kind: str
    ref: str | None  # the lookup relied on: "q3" = queries[3], "h1" = helper_calls[1]
    span: Span | None  # where that lookup is
    # "callers": the call sites that pass a verified id, with the checks they rely on,
    # and those that pass a value of the execution context.
    checks: tuple[caller_proof.Check, ...] = ()
    held: tuple[caller_proof.Site, ...] = ()
    dependency: dependency_checks.DependencyCheck | None = None  # for "dependency"
    column: str | None = None  # for "context": the column pinned by a context value
    helper: str | None = None  # for "helper": the assert helper that checks the row

    def describe(self) -> str:
        where = f" at line {self.span.line}" if self.span is not None else ""
        if self.kind == "callers":
            return self._callers()
        if self.dependency is not None:
            return self.dependency.describe()
        if self.kind == "context":
            return (
                f"relies on the execution context's `{self.column}` (a contextvar bound"
                " elsewhere, not checked here)"
            )
        if self.kind == "helper":
            return f"relies on the check `{self.helper}()` makes{where}"
        if self.kind == "untagged":
            return f"relies on no read going by `{self.column}` yet"
        if self.kind == "check":
            return f"relies on the check{where}"
        if self.kind == "row":
            return f"relies on the scoped query{where} whose row it uses"
        if self.kind == "returned":
            return f"relies on the scoped query whose row `{self.helper}()` returns{where}"
        return "relies on the ownership check after it"

    def _callers(self) -> str:
        def places(checks: Iterable[caller_proof.Check]) -> str:
            return ", ".join(
                sorted({f"{c.lookup_path or c.site.path}:{c.lookup.line}" for c in checks})
            )

        created = [c for c in self.checks if c.created]
        checked = [c for c in self.checks if not c.created]
        said = []
        if checked and all(c.after for c in checked):
            said.append(f"its callers checking the row it returns ({places(checked)})")
        elif checked:
            said.append(f"what its callers checked before calling it ({places(checked)})")
        if created:
            said.append(f"the rows its callers have just created ({places(created)})")
        if self.held:
            held = sorted({f"{site.path}:{site.call.span.line}" for site in self.held})
            said.append(f"the execution context its callers pass ({', '.join(held)})")
        return "relies on " + " and on ".join(said)


def reliance(query: Query, facts: FileFacts, project: Project) -> Reliance | None:
    """What a query without its tenant key relies on to stay in the tenant, if anything."""
    key = project.key_for(query.table)
    if key is None:
        return None
    if query.operation == "insert":
        return _untagged(query, key, facts, project)
    if query.shape.kind is not ShapeKind.DICT or project.state_for(query.shape, key) not in (
        KeyState.ABSENT,
    ):
        return None
    judged = verdict(query, facts, project)
    if judged is Verdict.SCOPED:
        if identity.found_by_secret(query):
            return None  # the presenter's own credential or link: no tenant key to add
        if checked_after_fetch(query, facts, project) or query.public_checked:
            return Reliance("ownership", None, None)
        if (
            checked_against_own_row(query, facts, project)
            or checked_against_parent(query, facts, project)
            or row_checks.found_among_parents(query, project)
        ):
            return Reliance("ownership", None, None)
        helper = row_checks.checked_by_call(query, facts, project)
        if helper is not None:
            return Reliance("helper", None, helper.span, helper=helper.name)
        if owner_scoped(query, facts, project):
            return None  # pinned to the principal's own user: narrower, not implicit
        ref = verifying_lookup(query, facts, project)
        if ref is None:
            return (
                _returned(query, facts, project)
                or _dependency(query, facts, project)
                or _from_context(query)
                or _callers(query, facts, project)
            )
        if _through_parent(query, ref, facts, project):
            return None
        if _by_identity(ref, facts, project):
            return None
        return Reliance("check", ref, _span(ref, facts))
    if judged is Verdict.FOLLOWS:
        ref = follows(query, facts, project)
        if ref is None or not root_scoped(ref, query, facts, project):
            return None
        if _through_parent(query, ref, facts, project) or _by_identity(ref, facts, project):
            return None
        return Reliance("row", ref, _span(ref, facts))
    return None


def _returned(query: Query, facts: FileFacts, project: Project) -> Reliance | None:
    """Pinned by a value of the row a project function's scoped read returned; none for
    a row found by a secret the caller presented (no tenant key to add)."""
    found = returned_read(query, facts, project)
    if found is None or identity.found_by_secret(found.read):
        return None
    return Reliance("returned", None, found.call.span, helper=found.function.name)


def _untagged(query: Query, key: str, facts: FileFacts, project: Project) -> Reliance | None:
    """An insert without the key into a table no read goes by it: safe until one does."""
    if project.state_for(query.shape, key) is not KeyState.ABSENT:
        return None
    if not untagged_insert(query, project) or own_per_user_row(query, project):
        return None  # reported, or the caller's own row of a per-user table
    if verdict(query, facts, project) is not Verdict.SCOPED:
        return None
    return Reliance("untagged", None, None, column=key)


def _dependency(query: Query, facts: FileFacts, project: Project) -> Reliance | None:
    """Pinned by a path parameter the route's dependency checked."""
    fn = facts.function(query.function)
    checked = dependency_checks.query_check(query, fn, project, facts.path)
    if checked is None or _references(query, checked.param, checked.table, project):
        return None  # none, or rows of the very parent the dependency checked
    return Reliance("dependency", None, checked.lookup, dependency=checked)


def _from_context(query: Query) -> Reliance | None:
    pin = execution_context.context_pin(query)
    return Reliance("context", None, None, column=pin.key) if pin is not None else None


def _callers(query: Query, facts: FileFacts, project: Project) -> Reliance | None:
    """Proven by callers that verified the id it is given (owner-scoped ones are not
    implicit: the principal's own id is what narrows it)."""
    judged = caller_proof.judge(query, facts.path, facts.function(query.function), project)
    if judged.proof is not caller_proof.Proof.VERIFIED:
        return None
    return Reliance("callers", None, None, judged.checks, judged.held)


def related(relied: Reliance, query: Query) -> tuple[Related, ...]:
    """Where the lines a query relies on are, for the finding's `related` locations."""
    if relied.kind == "callers":
        passing = tuple(
            Related(check.site.path, check.site.call.span.line, _passes(check))
            for check in relied.checks
        )
        return passing + tuple(
            Related(site.path, site.call.span.line, "passes a value of the execution context")
            for site in relied.held
        )
    if relied.dependency is not None:
        checked = relied.dependency
        return (Related(checked.path, checked.lookup.line, f"`{checked.param}` checked here"),)
    if relied.span is None:
        return ()
    if relied.kind == "helper":
        return (Related("", relied.span.line, f"`{relied.helper}()` checks the row here"),)
    return (Related("", relied.span.line, "the lookup it relies on"),)


def _passes(check: caller_proof.Check) -> str:
    if check.after:
        return "checks the row it gets back against the caller"
    if check.created:
        return f"passes the id of the row created at line {check.lookup.line}"
    if check.row:
        return f"passes an id read from the scoped query at line {check.lookup.line}"
    return f"passes an id checked at {_place(check)}"


def _place(check: caller_proof.Check) -> str:
    if check.lookup_path is None:
        return f"line {check.lookup.line}"
    return f"{check.lookup_path}:{check.lookup.line}"


def _by_identity(ref: str, facts: FileFacts, project: Project) -> bool:
    """The root is scoped without the tenant key (the caller's own identity row): what
    follows from it is the caller's own, nothing a tenant key would add to."""
    if not ref.startswith("q"):
        return False
    root = facts.queries[int(ref[1:])]
    key = project.key_for(root.table)
    if root.ownership_checked and not identity.found_by_secret(root):
        return False  # its own key was checked after the fetch: a tenant row after all
    if key is None:
        return True
    return project.state_for(root.shape, key) is not KeyState.PRESENT and _one_own_row(
        root, facts, project
    )


def _one_own_row(root: Query, facts: FileFacts, project: Project) -> bool:
    """The root is the caller's identity row: an identity column no two rows share
    (`users.id`, a unique `user_id`) pinned to the authenticated identity, whose links
    the tenant set. Rows the caller merely owns (`graph_edges` by a `user_id` many rows
    carry) name whatever the caller wrote into them: a read by such a name relies on the
    row like any other (ORG013). A table whose keys the migrations do not show is taken
    as before, as the caller's own."""
    table = project.schema.rls.tables.get(root.table) if project.schema.rls else None
    if table is None or not table.columns_known or identity.found_by_secret(root):
        return True
    unique = {"id", *table.unique}
    pinned = replace(root.shape, keys=tuple(fact for fact in root.shape.keys if fact.key in unique))
    fn = facts.function(root.function)
    providers, own = project.principal_providers, project.identity_params(fn)
    return identity.pins_own_identity(pinned, fn, providers, own) or any(
        fact.key in project.config.owner_keys
        and fact.key in unique
        and fact.always
        and fact.origin == "principal"
        for fact in root.shape.keys
    )


def _references(query: Query, param: str, parent: str | None, project: Project) -> bool:
    """The query pins its foreign key to `parent` by `param`."""
    linked = _foreign_keys(query, parent, project)
    return any(f.always and f.key in linked and f.params == (param,) for f in query.shape.keys)


def _foreign_keys(query: Query, parent: str | None, project: Project) -> set[str]:
    """The columns of the query's table that reference `parent`, from the migrations."""
    info = project.schema.tables.get(query.table)
    if info is None or parent is None:
        return set()
    return {column for column, table in info.references if table == parent}


def _through_parent(query: Query, ref: str, facts: FileFacts, project: Project) -> bool:
    """The id relied on is the query's foreign key to the very table the scoped lookup
    read: rows by a verified parent are that parent's, scoped as firmly as the parent is
    (adding the key would not narrow anything)."""
    if not ref.startswith("q"):
        return False
    linked = _foreign_keys(query, facts.queries[int(ref[1:])].table, project)
    return any(
        fact.always and fact.key in linked and (fact.row == ref or fact.origin == f"verified:{ref}")
        for fact in query.shape.keys
    )


def _span(ref: str | None, facts: FileFacts) -> Span | None:
    if not ref:
        return None
    index = int(ref[1:])
    found = facts.queries if ref[0] == "q" else facts.helper_calls
    return found[index].span if index < len(found) else None
