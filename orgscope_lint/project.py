"""The project as rules see it: the tenant model (which table is scoped by which key, and
where that was learned) joined with the facts every file contributed."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from orgscope_lint import imports
from orgscope_lint.analysis import fresh_values
from orgscope_lint.analysis.builder_api import TABLE_PARAM
from orgscope_lint.config import Config
from orgscope_lint.facts import (
    CallFact,
    FileFacts,
    FunctionFact,
    KeyFact,
    KeyState,
    ModuleLinks,
    Query,
    Shape,
)
from orgscope_lint.key_inference import InferredKey, infer_key
from orgscope_lint.schema import Schema

if TYPE_CHECKING:
    from orgscope_lint.mounted_routers import ImportedModules


@dataclass(frozen=True, slots=True)
class TableKey:
    key: str
    source: str  # "config: table-keys", "migrations/001_init.sql", ...


@dataclass(frozen=True, slots=True)
class ParentLink:
    """A child table scoped through its foreign key to a tenant table."""

    column: str  # the child's column that references the parent
    parent: str
    source: str  # the migration that declared the table

    def describe(self) -> str:
        return f"{self.column} -> {self.parent}"


@dataclass
class Project:
    config: Config
    schema: Schema
    tables: dict[str, TableKey] = field(default_factory=dict)
    # Tables without a tenant key that reference a tenant table: scoped through it.
    parents: dict[str, ParentLink] = field(default_factory=dict)
    # The tenant rows themselves (`organizations`, which tenant keys reference): each is
    # scoped by its own `id`. Table -> where that was learned.
    tenant_rows: dict[str, str] = field(default_factory=dict)
    # No schema: the tenant key the code itself filters by, when it is not the configured one.
    inferred_key: InferredKey | None = None
    # No schema and no configured tables: every non-global table is assumed tenant-owned.
    assume_all: bool = False
    # Tables the migrations do not give the tenant key, taken as tenant tables because
    # the code filters them by it (`_infer_tables`), in the order found.
    inferred_tables: list[str] = field(default_factory=list)
    db_methods: dict[str, FunctionFact] = field(default_factory=dict)
    # Summaries joined across files: what each function returns, by simple name.
    returns: dict[str, list[Shape]] = field(default_factory=dict)
    # Methods that take an org and scope their query by it: (class, method) -> parameter.
    inferred_helpers: dict[tuple[str | None, str], str] = field(default_factory=dict)
    # Helpers whose tenant key falls back on other parameters when the org one is not
    # given (`company_id or user.get("company_id")`), by name: the function and those.
    helper_fallbacks: dict[str, tuple[FunctionFact, tuple[str, ...]]] = field(default_factory=dict)
    # DB helpers that take an org and never filter by it (ORG005): their rows prove nothing.
    dropping_helpers: set[str] = field(default_factory=set)
    # Analysed functions by simple name: what a configured helper really takes.
    functions: dict[str, list[FunctionFact]] = field(default_factory=dict)
    # Indexes built once the summaries are joined: helper_param runs for every call.
    _helpers_named: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _db_class_set: set[str] = field(default_factory=set)
    # Functions some function `Depends(...)` on: where the principal is resolved.
    principal_providers: set[str] = field(default_factory=set)
    # Dependencies that raise unless the principal has a platform role: name -> why.
    platform_guards: dict[str, str] = field(default_factory=dict)
    # Memo of tenancy.verdict by id(query): the facts it keys stay alive for the run.
    verdicts: dict[int, object] = field(default_factory=dict)
    # The call graph `analysis/caller_proof` judges parameters by: calls by called name
    # (with the file they are in), functions by (file, qualified name), and the names
    # some call site of which is unseen (passed as a value, in code never analysed).
    calls: dict[str, list[tuple[str, CallFact]]] = field(default_factory=dict)
    function_at: dict[tuple[str, str], FunctionFact] = field(default_factory=dict)
    unseen_calls: set[str] = field(default_factory=set)
    # Tasks the project's own code hands to a queue (`task.send(...)`): called by their
    # framework, but with the arguments those enqueues give.
    enqueued: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)  # classes the project defines
    file_facts: list[FileFacts] = field(default_factory=list)
    # Memos of caller_proof: judgements by (file, function, parameter); leaks by file.
    caller_proofs: dict[tuple[str, str, str], object] = field(default_factory=dict)
    caller_leaks: dict[str, list] | None = None
    caller_tenant_leaks: dict[str, list] | None = None
    # Memo of analysis/system_reach by (file, function): why it runs only in system code.
    system_reach: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Memo of rls/shared_reads by table: the policy sharing it for reading, or None.
    shared_reads: dict[str, object] = field(default_factory=dict)
    # Memo of per_user_tables: tables whose rows only their owner reads.
    per_user_tables: frozenset[str] | None = None
    # Memo of untagged_tables: tables no read goes by their tenant key.
    untagged_tables: frozenset[str] | None = None
    # Memo of anonymous_rows: tables whose rows only unauthenticated visitors create.
    anonymous_tables: frozenset[str] | None = None
    # Memo of mounted_routers: what the project's modules import.
    imported_modules: ImportedModules | None = None
    # Memo of analysis/dependency_checks by (file, function, parameter).
    dependency_checks: dict[tuple[str, str, str], object] = field(default_factory=dict)
    # Calls by (file, calling function), and each function's file: built on first use.
    _calls_in: dict[tuple[str, str], list[CallFact]] | None = None
    _paths: dict[int, str] | None = None
    # The files defining each module-level helper, and each file's imports: which
    # helper a plain call reaches (`_reaches_plain_helper`).
    _plain_helper_files: dict[str, set[str]] = field(default_factory=dict)
    _links: dict[str, ModuleLinks] | None = None
    _reexported: imports.ReExports | None = None
    _subclassed: set[str] | None = None
    _instances: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _identity_params: dict[int, frozenset[str]] = field(default_factory=dict)
    _made: dict[str, str] | None = None
    _queries_of: dict[tuple[str, str], list[Query]] | None = None
    _facts_of: dict[str, FileFacts] | None = None
    # The reads whose verdict `returned_rows` is deciding: helpers returning each other's
    # rows prove nothing through each other.
    returned_judging: set[int] = field(default_factory=set)
    _nested: dict[tuple[str, str], list[FunctionFact]] | None = None

    def key_for(self, table: str) -> str | None:
        """The tenant key that scopes `table`, or None when it is not a tenant table."""
        found = self.tables.get(table)
        if found is not None:
            return found.key
        if table in self.config.global_tables or not self.assume_all:
            return None
        if table.startswith(TABLE_PARAM):
            return None  # the table a caller names: judged where it is named
        return self.inferred_key.key if self.inferred_key else self.config.tenant_key

    def referenced(self, table: str, column: str) -> str | None:
        """The table `table.column` is a foreign key to, as the migrations declare it."""
        info = self.schema.tables.get(table)
        return dict(info.references).get(column) if info is not None else None

    def unique_columns(self, table: str) -> frozenset[str]:
        """The columns that alone name one row of `table` (a primary or unique key of
        one column), as the migrations define them."""
        info = self.schema.tables.get(table)
        if info is None or info.unique is None:
            return frozenset()
        return frozenset(unique[0] for unique in info.unique if len(unique) == 1)

    def unique_per_tenant(self, table: str, pinned: Collection[str]) -> bool:
        """The columns `pinned` name one row only within a tenant (`UNIQUE (tenant_id,
        property_id)`): a filter on them alone reaches every tenant's row of that name.
        Known only from the migrations; a table whose keys were not all read is not."""
        info = self.schema.tables.get(table)
        key = self.scoping_column(table)
        if info is None or info.unique is None or key is None or key in pinned:
            return False
        pinned = set(pinned)
        if any(set(unique) <= pinned for unique in info.unique):
            return False
        return any(key in unique and set(unique) <= pinned | {key} for unique in info.unique)

    def scoping_column(self, table: str) -> str | None:
        """The tenant key, or for a child table the column that reaches its parent."""
        key = self.key_for(table)
        if key is None and table in self.parents:
            return self.parents[table].column
        if key is None and table in self.tenant_rows:
            return "id"
        return key

    def source_for(self, table: str) -> str:
        found = self.tables.get(table)
        if found is not None:
            return found.source
        return "assumed: no schema or tenant-tables configured" if self.key_for(table) else ""

    def bypasses_rls(self, receiver_class: str | None) -> bool:
        return receiver_class in self.config.rls_bypass_classes

    def state_for(self, shape: Shape, key: str, depth: int = 0) -> KeyState:
        """`shape.state_for`, with dicts returned by project functions resolved (also
        when those spread other functions' dicts in turn)."""
        state = shape.state_for(key)
        if state is KeyState.PRESENT or not shape.merged or shape.get(key) is not None:
            return state  # a key written after the spread wins over it
        unresolved = False
        for name in shape.merged:
            summaries = self.returns.get(name)
            if not summaries or depth > 8:
                unresolved = True
                continue
            states = {self.state_for(summary, key, depth + 1) for summary in summaries}
            if states == {KeyState.PRESENT}:
                return KeyState.PRESENT
            if KeyState.PRESENT in states or KeyState.CONDITIONAL in states:
                state = KeyState.CONDITIONAL
        if unresolved and state is KeyState.ABSENT:
            return KeyState.UNKNOWN
        return state

    def helper_param(
        self,
        name: str,
        receiver_class: str | None,
        db_receiver: bool,
        plain: bool = False,
        path: str | None = None,
    ) -> str | None:
        """The org parameter a called helper needs: configured, or inferred from its body.
        `plain` is a call of a module-level function (`get_story(story_id)`), made in
        file `path` when known."""
        if plain:
            param = self.inferred_helpers.get((None, name))
            if param is None or path is None or self._reaches_plain_helper(name, path):
                return param
            return None
        configured = self.config.scoped_helpers.get(name)
        if configured is not None and db_receiver and self._accepts(name, configured):
            return configured
        for cls, param in self._helpers_named.get(name, ()):
            if cls == receiver_class or (db_receiver and cls in self._db_class_set):
                return param
        return None

    def _reaches_plain_helper(self, name: str, path: str) -> bool:
        """A call `name(...)` in file `path` reaches a module-level helper of that name:
        one defined there, or in a module the file imports `name` from. Two modules may
        each define a function of that name (an `auth.check_admin(user)` that reads
        nothing, beside a helper that takes the org): the file's own function, or its
        import, says which one it calls. With neither in sight, the name decides."""
        helpers = self._plain_helper_files.get(name, set())
        if path in helpers:
            return True
        local = self.function_at.get((path, name))
        if local is not None and local.class_name is None:
            return False
        sources = self._reexports().sources(name, path)
        if not sources:
            return True
        return any(imports.is_module(file, module) for module in sources for file in helpers)

    def nested_in(self, fn: FunctionFact) -> list[FunctionFact]:
        """The functions defined inside `fn` (`def op(): ...` handed to a runner)."""
        if self._nested is None:
            self._nested = {}
            for (path, qualname), inner in self.function_at.items():
                if "." in qualname:
                    outer = (path, qualname.rsplit(".", 1)[0])
                    self._nested.setdefault(outer, []).append(inner)
        return self._nested.get((self.path_of(fn) or "", fn.qualname), [])

    def imported_among(
        self, name: str, path: str, functions: list[FunctionFact]
    ) -> list[FunctionFact]:
        """Those of `functions` (each named `name`) that a plain call in file `path`
        reaches by what the file imports: none when it imports `name` from a module
        outside them (`from supabase import create_client`), all of them when its
        imports do not say."""
        sources = self._reexports().sources(name, path)
        if not sources:
            return functions
        return [
            fn
            for fn in functions
            if any(imports.is_module(self.path_of(fn) or "", module) for module in sources)
        ]

    def in_imported_module(
        self, module: str, path: str, functions: list[FunctionFact]
    ) -> list[FunctionFact]:
        """Those of `functions` defined in the module file `path` imports as `module`
        (`from app.services import notifications_service`); all of them when its imports
        do not say."""
        links = self._links_at().get(path)
        if links is None or not module.isidentifier():
            return functions
        modules = [(*source, module) for source in imports.sources_of(module, path, links)]
        chosen = [
            fn
            for fn in functions
            if any(imports.is_module(self.path_of(fn) or "", found) for found in modules)
        ]
        return chosen or functions

    def instance_class(self, name: str, path: str) -> str | None:
        """The class of the module-level instance `name` that file `path` defines or
        imports (`from app.services.documents import document_service`), if one."""
        known = self._instances.get((name, path), False)
        if known is not False:
            return known
        links = self._links_at().get(path)
        found = None
        if links is not None and name.isidentifier():
            own = dict(links.instances).get(name)
            found = own or self._instance_in(name, self._reexports().sources(name, path))
        self._instances[(name, path)] = found
        return found

    def identity_params(self, fn: FunctionFact | None) -> frozenset[str]:
        """`fn`'s parameters a dependency fills with the caller's own id (memoised)."""
        if fn is None or not fn.param_dependencies:
            return frozenset()
        key = id(fn)
        if key not in self._identity_params:
            from orgscope_lint.analysis.dependency_values import identity_params

            self._identity_params[key] = identity_params(fn, self)
        return self._identity_params[key]

    def made_by(self, name: str) -> str | None:
        """The function whose result the module-level name `name` holds (`jwt_auth =
        _make_bearer_dependency()`), when one module of the project binds it so."""
        if self._made is None:
            found: dict[str, set[str]] = {}
            for links in self._links_at().values():
                for bound, made in links.made:
                    found.setdefault(bound, set()).add(made)
            self._made = {bound: made.pop() for bound, made in found.items() if len(made) == 1}
        return self._made.get(name)

    def _instance_in(self, name: str, modules: list[tuple[str, ...]]) -> str | None:
        for where, links in self._links_at().items():
            made = dict(links.instances).get(name)
            if made and any(imports.is_module(where, module) for module in modules):
                return made
        return None

    def subclassed(self, name: str) -> bool:
        """Some class of the project derives from a class of that name."""
        if self._subclassed is None:
            self._subclassed = {
                base for links in self._links_at().values() for base in links.subclassed
            }
        return name in self._subclassed

    def _reexports(self) -> imports.ReExports:
        if self._reexported is None:
            self._reexported = imports.ReExports(self._links_at())
        return self._reexported

    def _links_at(self) -> dict[str, ModuleLinks]:
        if self._links is None:
            self._links = {f.path: f.links for f in self.file_facts if f.links is not None}
        return self._links

    def _org_reaching(self, shape: Shape, key: str, fn: FunctionFact) -> set[str]:
        """The org parameters of `fn` that end up as the tenant key of `shape`: directly,
        or through a project function that returns a scoping dict (`org_scope(org_id)`)."""
        fact = shape.get(key)
        if fact is not None:
            return set(fact.params) & set(fn.org_params)
        if shape.merged and self.state_for(shape, key) is KeyState.PRESENT:
            return set(shape.merged_params) & set(fn.org_params)
        return set()

    def never_scopes(self, fn: FunctionFact, facts: FileFacts) -> bool:
        """None of the tenant queries of `fn` filters by its table's key, and none of its
        inserts stamps its org (a create method uses the org it receives)."""
        states = []
        for q in facts.queries:
            key = self.key_for(q.table) if q.function == fn.qualname else None
            if key is None:
                continue
            if q.operation == "insert":
                if self._org_reaching(q.shape, key, fn):
                    return False
            elif not fresh_values.probes_fresh_value(q.shape):
                states.append(self.state_for(q.shape, key))
        return bool(states) and all(state is KeyState.ABSENT for state in states)

    def _accepts(self, helper: str, param: str) -> bool:
        """A configured helper whose definition the project shows without that parameter
        is some other method of the same name: asking for the org there is noise."""
        definitions = self.functions.get(helper, [])
        candidates = [fn for fn in definitions if fn.db_class] or [
            fn for fn in definitions if not fn.route
        ]
        return not candidates or any(param in fn.params for fn in candidates)

    def _infer_tables(self, facts: list[FileFacts]) -> None:
        """Tables the code filters or writes by the tenant key that the migrations read
        do not give that column: they have it, so they are tenant tables (migrations
        kept outside the SQL files read, an ORM's own, tables made or altered by hand).
        Where the migrations define the table without the column, one query could be a
        mistake of its own: two functions must use it; and a table they scope through
        its parent (`parents`) stays so, its key a denormalised copy."""
        key = self.config.tenant_key
        uses: dict[str, list[tuple[str, int]]] = {}
        for file_facts in facts:
            for table, line in file_facts.keyed_tables:
                if table.startswith(TABLE_PARAM):
                    continue  # a table its callers name: none in particular
                if table not in self.tables and table not in self.config.global_tables:
                    uses.setdefault(table, []).append((file_facts.path, line))
        for table, where in uses.items():
            defined = table in self.schema.tables
            if defined and (len(where) < 2 or table in self.parents):
                continue
            path, line = where[0]
            source = f"inferred: the code filters it by `{key}` ({path}:{line})"
            if defined:
                source += f" and {len(where) - 1} more; the migrations read do not give it"
            self.tables[table] = TableKey(key, source)
            self.inferred_tables.append(table)

    def helper_param_index(self, helper: str, param: str) -> int | None:
        """Where `param` sits among a DB helper's positional parameters, `self` excluded."""
        method = self.db_methods.get(helper)
        if method is None or param not in method.params:
            return None
        params = method.params[1:] if method.params[:1] == ("self",) else method.params
        return params.index(param) if param in params else None

    def add_facts(self, facts: Iterable[FileFacts]) -> None:
        """Join every file's summaries; call once all files are analysed."""
        facts = list(facts)
        if self.assume_all:
            self.inferred_key = infer_key(facts, self.config)
        else:
            self._infer_tables(facts)
        self.file_facts = facts
        for file_facts in facts:
            self._add_calls(file_facts)
            for fn in file_facts.functions:
                self.functions.setdefault(fn.name, []).append(fn)
                self.principal_providers.update(fn.depends_on)
                if fn.platform_guard:
                    self.platform_guards[fn.name] = fn.platform_guard
                if fn.db_class:
                    self.db_methods.setdefault(fn.name, fn)
                if fn.returns is not None:
                    self.returns.setdefault(fn.name, []).append(fn.returns)
        self._resolve_factories()
        for file_facts in facts:
            self._infer_helpers(file_facts)
        for (cls, method), param in self.inferred_helpers.items():
            if cls is not None:
                self._helpers_named.setdefault(method, []).append((cls, param))
        self._db_class_set = {fn.class_name for fn in self.db_methods.values() if fn.class_name}

    def calls_in(self, path: str, qualname: str) -> list[CallFact]:
        """The calls the function `qualname` of file `path` makes."""
        if self._calls_in is None:
            self._calls_in = {}
            for calls in self.calls.values():
                for where, call in calls:
                    self._calls_in.setdefault((where, call.function or ""), []).append(call)
        return self._calls_in.get((path, qualname), [])

    def queries_of(self, fn: FunctionFact) -> list[Query] | None:
        """The queries `fn` makes in its own body; None when its file is not known."""
        path = self.path_of(fn)
        if path is None:
            return None
        if self._queries_of is None:
            self._queries_of = {}
            for facts in self.file_facts:
                for query in facts.queries:
                    key = (facts.path, query.function or "")
                    self._queries_of.setdefault(key, []).append(query)
        return self._queries_of.get((path, fn.qualname), [])

    def facts_of(self, path: str) -> FileFacts | None:
        """The facts of file `path` (as shown), when it was analysed."""
        if self._facts_of is None:
            self._facts_of = {facts.path: facts for facts in self.file_facts}
        return self._facts_of.get(path)

    def path_of(self, fn: FunctionFact) -> str | None:
        if self._paths is None:
            self._paths = {id(f): path for (path, _), f in self.function_at.items()}
        return self._paths.get(id(fn))

    def _add_calls(self, facts: FileFacts) -> None:
        for fn in facts.functions:
            self.function_at[(facts.path, fn.qualname)] = fn
            if fn.class_name is not None:
                self.classes.add(fn.class_name)
        if test_module(facts.path, self.config.root):
            return  # no request runs a test: its calls prove and hide nothing
        self.unseen_calls.update(facts.unseen_calls)
        for call in facts.calls:
            self.calls.setdefault(call.name, []).append((facts.path, call))
            if call.enqueued:
                self.enqueued.add(call.name)

    def _resolve_factories(self) -> None:
        """`svc = get_service(db)` then `svc.create(...)`: the call reaches the class the
        factory's return annotation names, when one module-level function of that name
        names a project class; otherwise the method's call sites are not all known."""
        for name, sites in self.calls.items():
            for index, (path, call) in enumerate(sites):
                if call.receiver_factory is None:
                    continue
                made = self._factory_class(call.receiver_factory)
                if made is None:
                    self.unseen_calls.add(name)
                else:
                    sites[index] = (path, replace(call, receiver_class=made))

    def _factory_class(self, factory: str) -> str | None:
        found = [fn for fn in self.functions.get(factory, []) if fn.class_name is None]
        made = found[0].returns_class if len(found) == 1 else None
        return made if made in self.classes else None

    def _infer_helpers(self, facts: FileFacts) -> None:
        for fn in facts.functions:
            if not fn.org_params:
                continue
            if fn.db_class and self.never_scopes(fn, facts):
                self.dropping_helpers.add(fn.name)
            for query in facts.queries:
                key = self.key_for(query.table) if query.function == fn.qualname else None
                reaching = self._org_reaching(query.shape, key, fn) if key else set()
                if reaching:
                    self.inferred_helpers[(fn.class_name, fn.name)] = sorted(reaching)[0]
                    self._note_fallback(fn, query.shape.get(key or ""))
                    if fn.class_name is None:
                        self._plain_helper_files.setdefault(fn.name, set()).add(facts.path)
                    self.db_methods.setdefault(fn.name, fn)
                    break

    def _note_fallback(self, fn: FunctionFact, fact: KeyFact | None) -> None:
        others = tuple(p for p in fact.params if p not in fn.org_params) if fact else ()
        if not others:
            return
        if fn.name in self.helper_fallbacks and self.helper_fallbacks[fn.name][0] != fn:
            self.helper_fallbacks[fn.name] = (fn, ())  # two helpers of that name: neither
        else:
            self.helper_fallbacks[fn.name] = (fn, others)


def summary_facts(facts: FileFacts, helpers: Collection[str] = ()) -> FileFacts:
    """Only what other files' analysis can use: the functions a summary comes from
    (dict builders, methods with an org parameter, DB-class methods), their queries,
    the definitions of the configured scoped `helpers` (`Project._accepts` reads them: a
    partial run must judge a helper call as the full run does), and what resolves or
    guards the principal (`depends_on`, platform-role guards). For the call graph
    (`analysis/caller_proof`): every call, every function a call may reach or be made
    from, and the queries pinned by a parameter, which callers may prove or leak."""
    kept = facts.functions
    # A route kept only for what it depends on needs no queries: they are most of a
    # summary's size, and every partial run reads every summary.
    names = {
        fn.qualname
        for fn in kept
        if fn.returns or fn.org_params or fn.db_class or fn.name in helpers
    }
    return FileFacts(
        path=facts.path,
        functions=kept,
        queries=tuple(q for q in facts.queries if q.function in names or _by_param(q)),
        calls=facts.calls,
        unseen_calls=facts.unseen_calls,
        keyed_tables=facts.keyed_tables,
        owner_reads=facts.owner_reads,
        filter_reads=facts.filter_reads,
        row_creations=facts.row_creations,
        links=facts.links,
    )


def _by_param(query: Query) -> bool:
    """A filter pinned by a parameter of its function: its callers may prove or leak it."""
    return any(fact.always and fact.params and not fact.origin for fact in query.shape.keys)


def build_project(config: Config, schema: Schema) -> Project:
    tables: dict[str, TableKey] = {}
    candidates = (config.tenant_key, *config.tenant_key_candidates, *config.legacy_keys)
    for name, info in schema.tables.items():
        if name in config.global_tables:
            continue
        key = next((c for c in candidates if c in info.columns), None)
        if key is not None:
            tables[name] = TableKey(key, info.source)
    for name in config.tenant_tables:
        if name not in tables and name not in config.global_tables:
            tables[name] = TableKey(config.tenant_key, "config: tenant-tables")
    for name, key in config.table_keys.items():
        tables[name] = TableKey(key, "config: table-keys")
    # Migrations that all failed to read tell nothing: as if there were none (each one is
    # reported as ORG000).
    assume_all = not schema.files and not config.tenant_tables and not config.table_keys
    keyed = {name: table.key for name, table in tables.items()}
    rows = {
        name: source
        for name, source in tenant_row_tables(schema, keyed).items()
        if name not in config.global_tables
    }
    parents = _parent_links(schema, tables, config)
    return Project(
        config=config,
        schema=schema,
        tables=tables,
        parents={name: link for name, link in parents.items() if name not in rows},
        tenant_rows=rows,
        assume_all=assume_all,
    )


def tenant_row_tables(schema: Schema, keyed: dict[str, str]) -> dict[str, str]:
    """Tables without a tenant key that a tenant table's key references
    (`org_id uuid references organizations(id)`): the tenants' own rows."""
    rows: dict[str, str] = {}
    for name, key in sorted(keyed.items()):
        info = schema.tables.get(name)
        for column, parent in info.references if info is not None else ():
            if column == key and parent not in keyed:
                rows.setdefault(parent, f"{name}.{key} references it ({info.source})")
    return rows


def _parent_links(
    schema: Schema, tables: dict[str, TableKey], config: Config
) -> dict[str, ParentLink]:
    """Each table with no tenant key of its own whose foreign key reaches a tenant table:
    its rows belong to whichever tenant owns the referenced row (first such key wins)."""
    links: dict[str, ParentLink] = {}
    for name, info in schema.tables.items():
        if name in tables or name in config.global_tables:
            continue
        for column, parent in info.references:
            if parent in tables and parent != name:
                links[name] = ParentLink(column, parent, info.source)
                break
    return links


_TEST_DIRECTORIES = frozenset({"tests", "test"})


# Asked of every file by several project-wide passes on each run (five times 700 files on
# a 100k-line project, a tenth of a pull request run's project work); the answer depends
# on the two strings alone.
@functools.lru_cache(maxsize=1 << 16)
def test_module(path: str, root: Path) -> bool:
    """Test code, by the names pytest and unittest find it by: `test_*.py`,
    `*_test.py`, `conftest.py`, or anything under a `tests`/`test` directory of the
    project (`path` as shown: relative to the working directory, or absolute). Its calls
    hand helpers made-up ids and monkeypatch methods by name; none of it runs when a
    request does, so it is no call site the caller proof weighs (its own queries are
    still checked)."""
    shown = PurePosixPath(path.replace("\\", "/"))
    base = PurePosixPath(root.as_posix())
    if shown.is_absolute() and shown.is_relative_to(base):
        shown = shown.relative_to(base)
    name = shown.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    below = shown.parts[:-1] if not shown.is_absolute() else ()
    return any(part in _TEST_DIRECTORIES for part in below)
