"""Facts: what the analysis learned about one file, independent of any rule.

Everything here is plain, immutable, picklable data, so facts can be cached by content
hash and shipped between processes. Rules read facts; they never look at syntax.
No `slots`: a slotted dataclass unpickles through a Python-level `__setstate__`, which
made loading a warm cache several times slower than pickle's native path.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from orgscope_lint.findings import Span

START = Span(1, 1, 1, 1)
# Where a result that stays in its function goes on (`analysis/staying_rows.py`): for
# each use handed to calls, those calls' (line, column), outermost first.
HandedOn = tuple[tuple[tuple[int, int], ...], ...]


class KeyState(str, enum.Enum):
    """Whether a filter or record surely carries a key, one of the tenant-key states
    of docs/architecture.md."""

    PRESENT = "present"
    CONDITIONAL = "conditional"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class ShapeKind(str, enum.Enum):
    NONE = "none"  # no filter at all: omitted or None
    EMPTY = "empty"  # an empty dict
    DICT = "dict"  # a dict whose keys the analysis tracked
    UNKNOWN = "unknown"  # opaque: a parameter, an unknown call


@dataclass(frozen=True)
class KeyFact:
    """One key of a filter or record."""

    key: str
    always: bool  # set on every path that reaches the query
    empty: bool = False  # its value is None or "" on every path: counts as absent
    maybe_empty: bool = False  # None or "" on some path: the key is conditional
    condition: str | None = None  # the test under which it is set, when not always
    params: tuple[str, ...] = ()  # parameters of the enclosing function its value comes from
    # Where the value comes from: "principal", "unverified" (read with .get() from the
    # principal, never checked), "request:<kind>" (request input), "row", "verified".
    origin: str | None = None
    row: str | None = (
        None  # the fact whose row it was read from: "q3" = queries[3], "h1" = helper_calls[1]
    )
    column: str | None = None  # the field of that row it is (`row["building_id"]`)
    # Calls of its function it was handed before, that returned: "line:column:slot".
    checked: tuple[str, ...] = ()
    # Read from what a project call returned: that call's index among the file's calls
    # (`link["id"]` of `link = load_link(token)`), for the read the callee returns.
    call: int | None = None


@dataclass(frozen=True)
class Shape:
    """What a filter or a record passed to a query holds."""

    kind: ShapeKind
    keys: tuple[KeyFact, ...] = ()
    open: bool = False  # may also hold keys the analysis cannot see
    # Functions whose returned dicts were spread into it: resolved through the project's
    # summaries (`{**org_scope(org), "id": x}`); unresolved ones make the shape open.
    merged: tuple[str, ...] = ()
    merged_params: tuple[str, ...] = ()  # parameters the spread functions were called with

    def get(self, key: str) -> KeyFact | None:
        for fact in self.keys:
            if fact.key == key:
                return fact
        return None

    def state_for(self, key: str) -> KeyState:
        if self.kind is ShapeKind.UNKNOWN:
            return KeyState.UNKNOWN
        fact = self.get(key)
        if fact is None or fact.empty:
            return KeyState.UNKNOWN if self.open else KeyState.ABSENT
        if fact.always and not fact.maybe_empty:
            return KeyState.PRESENT
        return KeyState.CONDITIONAL

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(fact.key for fact in self.keys)


@dataclass(frozen=True)
class Query:
    """A database operation on a named table, whatever API style produced it."""

    method: str  # as written: select, select_one, count, update, delete, insert, upsert
    operation: str  # read | count | update | delete | insert
    table: str
    receiver: str  # dotted source text of the receiver, "" when not a name
    receiver_class: str | None  # the DB class when known
    shape: Shape  # the filter for read/count/update/delete, the record for insert
    span: Span
    function: str | None  # qualified name of the enclosing function
    snippet: str = ""
    style: str = "service"  # which adapter produced it
    # The row was compared with the principal's org right after, raising on mismatch.
    ownership_checked: bool = False
    # How many queries its file had emitted when that check ran: those of them that use
    # its row ran before the check, which protects them from nothing.
    checked_from: int | None = None
    # The row was compared with this parameter of its function right after, raising on
    # mismatch (`if conv["participant_id"] != user_id: raise`): an ownership check when
    # every caller passes the principal's own id (`tenancy.checked_after_fetch`).
    checked_by_param: str | None = None
    # The same, admitting rows flagged public: safe to read, not to write by.
    public_checked: bool = False
    # Filtered to rows their owners made public (`.eq("is_public", True)`): no tenant's.
    public_rows: bool = False
    # A secret the request presented matched the row's stored secret or hash, the code
    # going on only then: the row is the presenter's own credential.
    credential_verified: bool = False
    # Its rows are never used: only tested for existence, or dropped
    # (`analysis/existence_probes.py`).
    rows_unused: bool = False
    # Its rows only feed the update `queries[feeds]` of the same row, which owns the
    # finding if there is one (`analysis/row_feeds.py`).
    feeds: int | None = None
    # Its rows only decide, go into an error, or are handed to these calls: they
    # leave the function only through what those calls do (`analysis/staying_rows.py`).
    rows_stay: HandedOn | None = None
    # It reads only the highest or lowest id of the table, to number a new row
    # (`select("id").order("id", desc=True).limit(1)`): a sequence, no tenant's data.
    extreme_id: bool = False
    # A read's columns as its select list names them; None when any may come back.
    selected: tuple[str, ...] | None = None
    # Its row's `column` was compared with a field of the row `ref` ("q0"), raising on
    # mismatch: scoped when `ref` is the caller's own identity or credential row.
    checked_against: tuple[str, str] | None = None
    # Its row's `column` was found among the ids a project function returned for the
    # principal's tenant, raising otherwise: (column, that table, the key it read by).
    checked_through: tuple[str, str, str] | None = None
    construction: int | None = None  # index in FileFacts.constructions of its receiver
    # The one variable in scope that holds the principal's tenant id, when the filter or
    # record is a dict literal in the call: what `--fix` may add.
    fix_var: str | None = None


@dataclass(frozen=True)
class HelperCall:
    """A call of a named method on a DB receiver that may be a scoped helper."""

    name: str
    receiver: str
    receiver_class: str | None
    positional: int  # how many positional arguments were passed
    keywords: tuple[str, ...]  # keyword arguments passed with a non-empty value
    empty_keywords: tuple[str, ...]  # keyword arguments passed as None or ""
    has_star_args: bool
    span: Span
    function: str | None
    snippet: str = ""
    ownership_checked: bool = False
    fix_var: str | None = None  # the one variable holding the principal's tenant id


@dataclass(frozen=True)
class FunctionFact:
    qualname: str
    name: str
    class_name: str | None  # the directly enclosing class, for methods
    db_class: bool  # a method of one of the configured DB classes
    params: tuple[str, ...]  # positional parameter names, `self` included
    org_params: tuple[str, ...]  # parameters whose name is tenant-like
    span: Span  # the `def` line
    end_line: int
    returns: Shape | None = None  # what it returns when that is a dict on every path
    # The configured system dependency (`Depends(require_platform_admin)`) it declares.
    system_dependency: str | None = None
    route: bool = False  # a web route handler (`@router.get(...)`), never a DB helper
    # A route that authenticates no one (`origins.anonymous_route`), or a function
    # nested in one: its caller has no tenant to stamp on what it creates.
    anonymous: bool = False
    # The functions it `Depends(...)` on: the project's principal resolvers among them.
    depends_on: tuple[str, ...] = ()
    # Those it depends on through what they return (`Depends(require_org_admin())`).
    depends_on_made: tuple[str, ...] = ()
    # Why its own code shows it runs outside any tenant on purpose (a verified webhook, a
    # scheduled job): treated as if marked `# orgscope: system-context -- <reason>`.
    system_context: str | None = None
    # A dependency that raises unless the principal has a platform role: why.
    platform_guard: str | None = None
    # Registered with a framework object (`@app.task`, `@bus.on(...)`): called from
    # outside the project's code, so its call sites do not tell where its arguments
    # come from.
    registered: bool = False
    # Parameters every normal exit leaves checked by a lookup that raised or returned
    # when it found nothing (`slot` = the parameter; one fact per lookup relied on):
    # what an access-check function such as a route dependency guarantees its caller.
    verifies: tuple[ArgFact, ...] = ()
    # The read whose rows it returns on every path (`return sb.table(...)...execute()`).
    returns_query: Span | None = None
    # Some `return` hands back request input no check verified (`return x_org_id`, the
    # header): a dependency that returns it gives the route a caller-chosen value.
    returns_request: str | None = None
    # The parameters FastAPI fills from a dependency (`org: str = Depends(f)`, or
    # `org: Annotated[str, Depends(f)]`): (parameter, dependency name).
    param_dependencies: tuple[tuple[str, str], ...] = ()
    # The parameters annotated by a plain name and filled by no `Depends` it can see
    # (`member: CurrentMember`): (parameter, that name). A name the project defines as
    # an `Annotated[T, Depends(f)]` alias makes it a dependency (`dependency_aliases.py`).
    annotated_params: tuple[tuple[str, str], ...] = ()
    # The calls each parameter was handed and returned from on every normal exit
    # (`Value.checked` refs): checks made before anything the function read leaves it.
    checked_on_exit: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Every path returns what its own insert wrote (the new row's id): a row it created.
    returns_created: bool = False
    # The one class its return annotation names (`-> TemplateService`): a factory, whose
    # result's methods are that class's.
    returns_class: str | None = None
    # A dependency factory: every `return` hands back the function it defines inside
    # (`def require_admin(): async def check(...): ...; return check`), by qualified name.
    returns_function: str | None = None
    # Every `return` hands back the ids of the rows of `table` its read pinned by `key`
    # to parameter `param` (`[b["id"] for b in rows.data]`): (table, key, param).
    returns_ids: tuple[str, str, str] | None = None
    # Every `return` hands back the authenticated identity (a verified token's subject,
    # the principal's id) or one of these parameters as given, and one returns the
    # identity: handed the principal's id for them, its result is the caller's own id
    # (`analysis/identity.py`). None when some `return` hands back anything else.
    returns_identity: tuple[str, ...] | None = None
    # The task-queue actors its system context comes from (itself when it is one, or
    # those it is reached only from): lifted when the project enqueues any of them.
    tasks: tuple[str, ...] = ()
    # It returns whether a webhook's signature matches (a `compare_digest` result): a
    # caller that rejects the request when it is False is a verified webhook.
    answers_signature: str | None = None
    # The same, with the secret of the tenant it is told (`verify(body, sig, tenant_id)`):
    # a caller rejecting on False checked the request for that tenant (caller proof).
    answers_tenant_signature: str | None = None
    # A route's calls whose falsy result rejects every request (`if not f(...): raise`).
    rejects_unless: tuple[str, ...] = ()
    # Rows its parameters hold that every normal exit compared with another parameter,
    # raising otherwise (`if poll["company_id"] != company_id: raise`): an assert helper
    # that checks, for its caller, the row the caller fetched (`analysis/row_checks.py`).
    checks_rows: tuple[RowCheck, ...] = ()
    # Parameters whose every use only decides, handed to nothing: what a caller passes
    # there never leaves the function (`analysis/decision_uses.py`).
    deciding_params: tuple[str, ...] = ()
    # A task registered with `bind=True` (`@celery_app.task(bind=True)`): its first
    # parameter is the task itself, and callers' arguments start at the second.
    bound_task: bool = False

    @property
    def bound(self) -> int:
        """How many leading parameters no call passes: `self`/`cls` of a method, the task
        of a bound task."""
        if self.class_name and self.params[:1] in (("self",), ("cls",)):
            return 1
        return 1 if self.bound_task and self.params else 0


@dataclass(frozen=True)
class RowCheck:
    """`param`'s `column` matched parameter `against` on every normal exit: equal to it,
    or (`through`) the id of a row of that table its `through_key` pins to `against`."""

    param: str
    column: str
    against: str
    through: str | None = None
    through_key: str | None = None


@dataclass(frozen=True)
class ArgFact:
    """Where one argument of a call comes from, as the analysis knew it at the call."""

    slot: str  # the keyword, or the position as digits ("0" = the first positional)
    # "principal", "unverified" (the principal's `.get()`), "request:<kind>", "verified"
    # (a scoped lookup of it found a row), "row" (read from a query's row), "literal",
    # or None (unknown, or only computed from `params`).
    origin: str | None = None
    params: tuple[str, ...] = ()  # parameters of the calling function it comes from
    # The lookup that verified it or whose row it was read from, copied here so that a
    # summary judges it without the rest of its file.
    lookup: Query | HelperCall | None = None
    checked: tuple[str, ...] = ()  # as KeyFact.checked
    # Written as a field of a parameter of the calling function (`request.conversation_id`):
    # that field, which the callers' own arguments may have had verified.
    field: str | None = None
    # Written as a bare name, some of whose fields a lookup verified before the call
    # (`request.conversation_id` found by a scoped lookup, then `process(request)`): each
    # field with that lookup (its reference, "verified:q3", until `with_lookups`).
    checked_fields: tuple[tuple[str, Query | HelperCall | str], ...] = ()
    # A string literal's text (`table="cases"`): the table a check is told by name.
    text: str | None = None


@dataclass(frozen=True)
class CallFact:
    """A call that may reach a project function, with the provenance of its arguments."""

    name: str  # the called name: `get_thread`, or the method of `self.store.get`
    receiver: str  # dotted source text of the receiver, "" for a plain call
    receiver_class: str | None  # the receiver's class when known (`self`, an instance)
    args: tuple[ArgFact, ...]
    starred: bool  # `*args` or `**kwargs`: which parameter gets what is not known
    span: Span
    function: str | None  # qualified name of the calling function
    snippet: str = ""
    # The caller compared the row it got back with the principal right after the call,
    # raising otherwise (`if item["org_id"] != me: raise`).
    result_checked: bool = False
    # The same against a parameter of the caller instead (`(param, column)`): the
    # caller proof decides whether that parameter is the principal's own id.
    result_checked_against: tuple[str, str] | None = None
    # The receiver is what this project function returned (`svc = get_service(db)`):
    # its class is the factory's annotated return class, once the project is joined.
    receiver_factory: str | None = None
    # A task queue will make this call (`task.send(...)`, `add_task(task, ...)`): it
    # counts as a call site of a task that is otherwise called by its framework.
    enqueued: bool = False
    # Its result decides whether the caller goes on (`if not role: raise` after
    # `role = project_role(...)`): an access check, when it is handed the principal.
    guards: bool = False
    # The caller handed the returned row's `column` to an access check together with the
    # principal, going on only if it passed (`if not await get_org_role(user["id"],
    # row["org_id"]): raise`): the caller proof accepts it when `column` is the tenant key.
    result_guarded: str | None = None
    # The caller only decides on what it returned (`if not found.data: raise`), or
    # drops it: nothing of the rows it returns leaves this call site.
    result_unused: bool = False
    # How the caller leaves it unused: "dropped" (never read: `plan = get_plan(org_id)`),
    # "presence" (only whether it is there: `if not wf: raise`, a check later code may
    # rely on), "decided" (only decided on otherwise: a compared secret, a quota).
    result_use: str = ""
    # The caller only decides on it, and hands it whole to these calls, whose results it
    # drops ("line:column:slot"): nothing leaves if those parameters only decide.
    result_handed: tuple[str, ...] = ()
    # As `Query.rows_stay`, for what the call returned.
    result_stays: HandedOn | None = None
    # The caller went on only if the principal's id is a field of one of the rows it
    # returned (`if me not in {m["user_id"] for m in members}: raise`): if they are the
    # rows of a read pinned to a tenant by a parameter, the caller belongs to that tenant.
    principal_among: bool = False
    # An earlier `return` left the calling function before this call on some path:
    # what the call checks did not hold on that one.
    after_exit: bool = False


@dataclass(frozen=True)
class UndefinedName:
    name: str
    span: Span
    function: str | None
    snippet: str = ""


@dataclass(frozen=True)
class ServiceConstruction:
    """`DatabaseService(...)`: which keywords it got and whether an org was at hand."""

    class_name: str
    keywords: tuple[str, ...]
    positional: int
    org_at_hand: bool
    span: Span
    function: str | None
    snippet: str = ""


@dataclass(frozen=True)
class Directive:
    """A suppression comment: `# orgscope: ignore[...]`, `# noqa: ...`, system-context."""

    line: int
    kind: str  # "ignore" | "system-context"
    codes: tuple[str, ...]  # empty means every code
    reason: str | None
    column: int = 1
    text: str = ""


@dataclass(frozen=True)
class FileError:
    """Why a file yielded no facts (ORG000)."""

    message: str
    span: Span = START


@dataclass(frozen=True)
class ModuleLinks:
    """How a module connects to the others (`analysis/module_links.py`): the modules
    its imports may name (relative ones with their dots), whether it loads modules by
    name, builds a web app, defines an `APIRouter` or mounts routers."""

    imports: tuple[str, ...] = ()
    dynamic: bool = False
    app: bool = False
    router: bool = False
    mounts: bool = False
    # Module-level instances (`document_service = DocumentService()`): name and class.
    instances: tuple[tuple[str, str], ...] = ()
    # Module-level names bound to what a function call returned (`jwt_auth =
    # _make_bearer_dependency()`): name and function.
    made: tuple[tuple[str, str], ...] = ()
    # Of `imports`, those whose bound name the file never uses (read only in files that
    # mention routers): such an import mounts nothing.
    unused: tuple[str, ...] = ()
    # Its module-level `Name = Annotated[T, Depends(f)]` aliases: (name, dependency,
    # whether `Depends(f())` calls a factory, T's class when T is one plain name).
    dependency_aliases: tuple[tuple[str, str, bool, str | None], ...] = ()
    # The classes its classes derive from, by their last name: a method of such a class
    # may run on a subclass, constructed with what the caller proof does not see.
    subclassed: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFacts:
    path: str
    queries: tuple[Query, ...] = ()
    helper_calls: tuple[HelperCall, ...] = ()
    functions: tuple[FunctionFact, ...] = ()
    undefined_names: tuple[UndefinedName, ...] = ()
    constructions: tuple[ServiceConstruction, ...] = ()
    directives: tuple[Directive, ...] = ()
    calls: tuple[CallFact, ...] = ()
    # Names used other than by a call the analysis saw: passed as a value, or called in
    # code it did not analyse. Call sites of such functions are not all known.
    unseen_calls: tuple[str, ...] = ()
    # Tables its queries filter or write by the configured tenant key, with the first
    # line that does in each function: a table the migrations do not give that column
    # is a tenant table by that use (`Project._infer_tables`).
    keyed_tables: tuple[tuple[str, int], ...] = ()
    # Tables it reads, each with the columns its reads that pin no owner column filter
    # by or select: joined across files, the project's per-user tables
    # (`per_user_tables.py`).
    owner_reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Tables it reads, each with the columns any of its reads filter by: joined across
    # files, the project's untagged tables (`untagged_tables.py`).
    filter_reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Every insert it makes (table, by a route that authenticates no one, the columns
    # written): joined across files, the project's anonymous tables (`anonymous_rows.py`).
    row_creations: tuple[tuple[str, bool, tuple[str, ...] | None], ...] = ()
    # Its imports and app wiring, for every file that parsed (None when it did not).
    links: ModuleLinks | None = None
    error: FileError | None = None
    skipped: str | None = None  # why the file was not analysed (no DB-looking text)
    lines: int = 0
    # The (first, last) lines of the top-level statements LibCST was not given
    # (`analysis/slicing.py`), when it read the rest of the file; None when it read none
    # of it. Fix edits parse only these to know LibCST reads the whole file.
    unparsed: tuple[tuple[int, int], ...] | None = None
    # The (first, last) lines of every top-level statement, as `ast` found them, when
    # LibCST read the file (None with `unparsed`): fix edits split the file by them
    # instead of parsing it with `ast` again.
    statements: tuple[tuple[int, int], ...] | None = None

    def function(self, qualname: str | None) -> FunctionFact | None:
        if qualname is None:
            return None
        for fn in self.functions:
            if fn.qualname == qualname:
                return fn
        return None
