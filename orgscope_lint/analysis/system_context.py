"""Code no tenant's request drives, recognised by what the code shows.

Four kinds, and only where the code shows it:

- a webhook from an identity or payment provider that verifies the sender's signature
  (svix `Webhook(secret).verify(...)`, `stripe.Webhook.construct_event(...)`,
  `hmac.compare_digest(...)` whose failure raises or returns), itself or through a
  function of the same module that does, or rejecting the request unless a function
  that returns a `compare_digest` result answers yes (`if not
  verifier.verify_signature(body, sig): raise`; one of another module is matched by
  `analysis/system_reach.py`);
- a dependency that raises unless the principal holds a platform role (superuser, staff,
  platform admin) or presents the deployment's own secret (`token !=
  settings.AUTH_TOKEN`, `compare_digest(key, os.environ["OPS_KEY"])`): routes that
  `Depends(...)` on it are deliberately cross-tenant. An organization's own admin role
  (`org:admin`) or a secret named for a tenant is a tenant's, never a platform one;
- the entry point of a scheduled job, a script or the server's lifecycle: a function
  registered with a task scheduler (`@shared_task`, `@scheduler.scheduled_job(...)`,
  `add_job(f, ...)`), a click or typer command, one called from the module's
  `if __name__ == "__main__":` block, or a startup or shutdown hook
  (`@app.on_event("startup")`, `FastAPI(lifespan=f)`, `on_startup=[f]`,
  `add_event_handler("shutdown", f)`); and the private functions only such code of the
  same module calls (the loop a hook starts with `asyncio.create_task(_loop())`);
- a route no request reaches, because an earlier route of the same router and method
  has the same path up to the names of its parameters (the first match answers).

Each detection yields the reason a reader is shown, as if the function were marked
`# orgscope: system-context -- <reason>`. An unverified webhook has no such reason.
It reads the stdlib `ast` of the whole file: a verifying helper with no database call
in it is never handed to LibCST, yet it still vouches for the routes that call it.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from orgscope_lint.analysis.child_nodes import LEAVES, child_nodes, walk

_JOB_DECORATORS = frozenset(
    {"scheduled_job", "shared_task", "periodic_task", "task", "actor", "cron", "crontab"}
)
_JOB_DECORATORS_CALLED = frozenset({"repeat_every", "repeat_at"})
# Job decorators that make an enqueueable task (`actor.send(...)`, `task.delay(...)`),
# unlike a scheduler's own registration (`scheduled_job`, `periodic_task`, `cron`).
TASK_DECORATORS = frozenset({"actor", "task", "shared_task", "job"})
_CLI_FRAMEWORKS = frozenset({"click", "typer"})
_JOB_REGISTRATIONS = frozenset({"add_job", "add_periodic_task"})
_LIFECYCLE_EVENTS = frozenset({"startup", "shutdown"})
_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route"}
)
# Words of a platform-wide role, and words that make a role the tenant's own.
PLATFORM_WORDS = re.compile(
    r"super[-_ ]?user|super[-_ ]?admin|platform|is_staff|staff[-_ ]?role|sys[-_ ]?admin|"
    r"system[-_ ]admin|global[-_ ]admin|internal[-_ ]admin|"
    r"admin[-_ ]?(?:api[-_ ]?)?(?:key|token|secret)",
    re.IGNORECASE,
)
TENANT_WORDS = re.compile(r"org|tenant|workspace|team|account|member", re.IGNORECASE)


def is_platform_word(text: str) -> bool:
    """`super_admin`, `is_staff`: names a platform role, and no tenant's (`org_admin`)."""
    return bool(PLATFORM_WORDS.search(text)) and not TENANT_WORDS.search(text)


# A deployment's own secret (`settings.AUTH_TOKEN`): where configuration lives, and what
# such a setting is called.
_CONFIG_ROOTS = frozenset({"settings", "config", "conf", "cfg", "os", "env", "environ"})
_SECRET_NAMES = re.compile(r"token|key|secret|password", re.IGNORECASE)

_DEPENDS = ("Depends", "Security")
# What computes or names a signature a webhook's sender made.
_DIGESTS = frozenset({"new", "digest", "hexdigest", "sign", "b64encode", "HMAC"})
_SIGNED_NAMES = re.compile(r"sig|hmac|digest|hash", re.IGNORECASE)
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Detected:
    """What a function's own code shows, keyed by its `def` line in `SystemContexts`."""

    reason: str | None = None  # system context: why
    platform_guard: str | None = None  # a dependency admitting only platform staff: why
    # The task-queue actors (`@dramatiq.actor`, `@app.task`) the context comes from: the
    # function itself, or those it is reached only from. A task the project's own code
    # enqueues runs on a request's behalf, not on a schedule (`task_queues`).
    tasks: frozenset[str] = frozenset()
    # It answers whether a webhook's signature is valid (returns a `compare_digest`
    # result): a caller that rejects the request on False is a verified webhook.
    signature_answer: str | None = None
    # A route's calls whose falsy result rejects every request (`if not f(...): raise`,
    # under no other test): with an answering verifier among them, a verified webhook.
    rejects_unless: tuple[str, ...] = ()
    # The same answer with the secret of a tenant it is told (`verify(body, sig,
    # tenant_id)`): no system context, but a check of the request for that tenant.
    tenant_signature_answer: str | None = None


@dataclass
class SystemContexts:
    by_line: dict[int, Detected] = field(default_factory=dict)

    def at(self, line: int) -> Detected:
        return self.by_line.get(line, _NOTHING)


_NOTHING = Detected()


def detect(tree: ast.Module, nodes: Sequence[ast.AST] | None = None) -> SystemContexts:
    """Every function of the module that shows a system-context guard. `nodes`: every
    node of `tree`, as `walk_within` lists them, when already listed."""
    jobs: dict[str, str] = {}
    functions: list[_Function] = []
    signed = False  # some call may check a webhook's signature
    for node in _walk_breadth(tree) if nodes is None else nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
        elif isinstance(node, ast.Call):
            last = _last(node.func)
            signed = signed or _may_check_signature(last)
            if last in _JOB_REGISTRATIONS and node.args:
                name = _last(node.args[0])
                if name:
                    jobs.setdefault(name, "scheduled job (registered with the scheduler)")
            else:
                for name, how in _lifecycle_handlers(node):
                    jobs.setdefault(name, f"startup hook ({how})")
    # Each function's own nodes, walked once: every test below reads them (walking them
    # per test was a third of a changed file's analysis).
    own = {id(fn): _own_nodes(fn) for fn in functions}
    # Without a call that may check a signature no function checks or answers one: the
    # tests (two thirds of this function's time on most modules) could find nothing.
    checks = {id(fn): _signature_check(own[id(fn)]) if signed else None for fn in functions}
    called = {id(fn): _called_names(own[id(fn)]) for fn in functions}
    verifiers = {fn.name: checks[id(fn)] for fn in functions if checks[id(fn)] is not None}
    answered = {id(fn): _answers_signature(own[id(fn)]) if signed else None for fn in functions}
    told = {id(fn) for fn in functions if _told_tenant(fn)}
    answers = {id(fn): None if id(fn) in told else answered[id(fn)] for fn in functions}
    tenant_answers = {id(fn): answered[id(fn)] if id(fn) in told else None for fn in functions}
    answering = {fn.name for fn in functions if answers[id(fn)]}
    rejecting = {id(fn): _rejects_unless(fn.body) if _is_route(fn) else () for fn in functions}
    for fn in functions:
        name = next((n for n in rejecting[id(fn)] if n in answering and n != fn.name), None)
        if name is not None and checks[id(fn)] is None:
            checks[id(fn)] = f"signature checked by `{name}`, a mismatch is rejected"
    script = False
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            script = True
            for name in _called_names(_own_nodes(stmt)):
                jobs.setdefault(name, "script entry point (`__main__`)")
    cli = _imports_cli_framework(tree)
    reasons = {
        id(fn): _reason(fn, checks[id(fn)], called[id(fn)], verifiers, jobs, cli)
        for fn in functions
    }
    for fn, reason in shadowed_routes(tree.body).items():
        reasons[id(fn)] = reasons[id(fn)] or reason
    tasks = {id(fn): _task_of(fn, reasons[id(fn)]) for fn in functions}
    _reached_only_from_system(functions, called, reasons, tasks, script)
    guards = {id(fn): _platform_guard(own[id(fn)]) for fn in functions}
    guarding = {fn.name: guards[id(fn)] for fn in functions if not _is_route(fn)}
    found = SystemContexts()
    for fn in functions:
        guard = guards[id(fn)]
        reason = reasons[id(fn)]
        if reason is None and guard is not None and _is_route(fn):
            reason = f"route {guard}"  # checked inline: `if not is_super_admin(...): raise`
        if reason is None and _is_route(fn):
            reason = _first_call_guard(fn, guarding)
        detected = Detected(
            reason,
            None if _is_route(fn) else guard,
            tasks[id(fn)],
            answers[id(fn)],
            rejecting[id(fn)],
            tenant_answers[id(fn)],
        )
        if detected != _NOTHING:
            found.by_line[fn.lineno] = detected
    return found


def _first_call_guard(fn: _Function, guarding: dict[str, str | None]) -> str | None:
    """`verify_cron(x_cron_secret)` as a statement of its own at the top of the route,
    before anything else runs: a function of this module that raises unless the caller
    presents the deployment's secret or a platform role guards the whole route."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # the docstring
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Await):
            call = call.value
        name = _last(call.func) if isinstance(call, ast.Call) else ""
        guard = guarding.get(name) if name else None
        return f"route calls `{name}`, which {guard}" if guard else None
    return None


def _task_of(fn: _Function, reason: str | None) -> frozenset[str]:
    job = _job_decorator(fn) if reason and reason.startswith("scheduled job (`@") else None
    return frozenset({fn.name}) if job and _last_of(job) in TASK_DECORATORS else frozenset()


def _reached_only_from_system(
    functions: list[_Function],
    called: dict[int, set[str]],
    reasons: dict[int, str | None],
    tasks: dict[int, frozenset[str]],
    script: bool,
) -> None:
    """A function this module alone calls (a private one, or any in a script), and only
    from system code, runs only there: a verified webhook's event handlers, a job's steps."""
    callers: dict[str, set[str]] = {}
    by_name: dict[str, list[_Function]] = {}
    for fn in functions:
        by_name.setdefault(fn.name, []).append(fn)
        for name in called[id(fn)]:
            callers.setdefault(name, set()).add(fn.name)
    changed = True
    while changed:
        changed = False
        for fn in functions:
            if reasons[id(fn)] or _is_route(fn) or not (script or fn.name.startswith("_")):
                continue
            who = sorted(callers.get(fn.name, set()) - {fn.name})
            if who and all(any(reasons[id(g)] for g in by_name[c]) for c in who):
                origin = next(g for g in by_name[who[0]] if reasons[id(g)])
                reasons[id(fn)] = f"called only from `{who[0]}` ({reasons[id(origin)]})"
                tasks[id(fn)] = frozenset().union(*(tasks[id(g)] for c in who for g in by_name[c]))
                changed = True


def _reason(
    fn: _Function,
    verified: str | None,
    called: set[str],
    verifiers: dict[str, str],
    jobs: dict[str, str],
    cli: bool,
) -> str | None:
    """`verified`: its own signature check; `called`: the names it calls."""
    if verified is not None:
        return f"webhook: {verified}"
    for name in sorted(called | _dependency_names(fn)):
        if name in verifiers and name != fn.name:
            return f"webhook: calls `{name}`: {verifiers[name]}"
    if _is_route(fn):
        return None
    job = _job_decorator(fn)
    if job is not None:
        return f"scheduled job (`@{job}`)"
    hook = _startup_decorator(fn)
    if hook is not None:
        return f"startup hook (`@{hook}`)"
    command = _cli_command(fn) if cli else None
    if command is not None:
        return f"command-line entry point (`@{command}`)"
    return jobs.get(fn.name)


def _platform_guard(own: list[ast.AST]) -> str | None:
    """A role test whose failure raises, naming a platform role and no tenant role;
    `own`: the function's own nodes."""
    for node in own:
        if isinstance(node, ast.If) and _ends_in(node.body, (ast.Raise,)):
            words = _words(node.test)
            platform = [w for w in words if PLATFORM_WORDS.search(w)]
            if platform and not any(TENANT_WORDS.search(w) for w in words):
                role = platform[0]
                return f"raises unless the caller has a platform role or credential (`{role}`)"
            secret = _configured_secret_test(node.test)
            if secret is not None:
                return f"raises unless the caller presents the deployment's secret (`{secret}`)"
    return None


def _configured_secret_test(test: ast.expr) -> str | None:
    """`credentials.credentials != settings.AUTH_TOKEN` (also inside `not x or ...`) or
    `not hmac.compare_digest(token, os.environ["API_SECRET"])`: the presented value is
    held against the deployment's one configured secret, which no tenant's user holds.
    The configured secret, as written; None for any other test."""
    alternatives = (
        test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    )
    for node in alternatives:
        pair: list[ast.expr] = []
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], (ast.NotEq, ast.IsNot)):
                pair = [node.left, node.comparators[0]]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            call = node.operand
            if isinstance(call, ast.Call) and _last(call.func) == "compare_digest":
                pair = list(call.args)
        if len(pair) != 2 or _configured_secret(pair[0]) == _configured_secret(pair[1]):
            continue  # no secret, or two settings compared with each other
        secret, presented = pair if _configured_secret(pair[0]) else pair[::-1]
        if not isinstance(presented, ast.Constant):
            return ast.unparse(secret)
    return None


def _configured_secret(node: ast.expr) -> bool:
    """`settings.AUTH_TOKEN`, `os.environ["API_KEY"]`, `os.getenv("SECRET")`, `API_KEY`:
    a setting of the deployment whose name says it is a secret, not a tenant's."""
    name: str | None = None
    if isinstance(node, ast.Attribute) and _dotted(node.value).split(".")[0] in _CONFIG_ROOTS:
        name = node.attr
    elif isinstance(node, ast.Subscript) and _last(node.value) == "environ":
        key = node.slice
        name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    elif isinstance(node, ast.Call) and _last(node.func) in ("getenv", "get") and node.args:
        func = node.func
        environ = isinstance(func, ast.Attribute) and _last(func.value) == "environ"
        env = _last(func) == "getenv" or environ
        first = node.args[0]
        if env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            name = first.value
    elif isinstance(node, ast.Name) and node.id.isupper():
        name = node.id
    return bool(name) and bool(_SECRET_NAMES.search(name)) and not TENANT_WORDS.search(name)


# ------------------------------------------------------------------ signature checks

# Text a module must hold to verify a webhook's signature: such a module is analysed even
# with no database call, so that routes of other modules calling its verifier are known
# to be verified webhooks (`analysis/system_reach.py`).
_SIGNATURE_WORDS = re.compile(r"\b(?:construct_event|compare_digest|Webhook)\b")


def mentions_signature(text: str) -> bool:
    return _SIGNATURE_WORDS.search(text) is not None


def _may_check_signature(called: str) -> bool:
    """Whether a call of this name (its last part) may be one every signature test
    below looks for: `compare_digest`, `construct_event` or a `verify` method."""
    return called in ("compare_digest", "verify") or called.endswith("construct_event")


def _signature_check(own: list[ast.AST]) -> str | None:
    """`own`: the function's own nodes."""
    webhooks = {
        _dotted(target)
        for node in own
        if isinstance(node, ast.Assign) and _is_webhook(node.value)
        for target in node.targets
    }
    digests = _digest_names(own)
    for node in own:
        if _rejects_bad_digest(node, digests):
            return "signature compared with `compare_digest`, a mismatch is rejected"
        if not isinstance(node, ast.Call):
            continue
        if _dotted(node.func).endswith("construct_event"):
            return "signature verified by `construct_event`"
        if isinstance(node.func, ast.Attribute) and node.func.attr == "verify":
            receiver = node.func.value
            if _is_webhook(receiver) or _dotted(receiver) in webhooks:
                return "signature verified by `Webhook.verify`"
    return None


def _told_tenant(fn: _Function) -> bool:
    """A verifier told which tenant's secret to use (`verify(body, sig, tenant_id)`):
    that secret proves the sender is that tenant, not the platform."""
    return any(TENANT_WORDS.search(arg.arg) for arg in (*fn.args.posonlyargs, *fn.args.args))


def _answers_signature(own: list[ast.AST]) -> str | None:
    """It returns a `compare_digest` result, directly or through the name it was bound
    to (`is_valid = hmac.compare_digest(...)`, `return is_valid`)."""
    digests = _digest_names(own)
    bound = {
        target.id
        for node in own
        if isinstance(node, ast.Assign) and _compares_digest(node.value, digests)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in own:
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            compared = _compares_digest(value, digests)
            if compared or (isinstance(value, ast.Name) and value.id in bound):
                return "compares the signature with `compare_digest`"
    return None


def _rejects_unless(body: list[ast.stmt]) -> tuple[str, ...]:
    """The calls whose falsy result rejects every request: `if not
    verifier.verify_signature(body, sig): raise` (or return). A check under another
    test (`if secret: <check>`) may be skipped, so it does not count."""
    names = []
    for node in _unconditional(body):
        if not isinstance(node, ast.If) or not _ends_in(node.body, (ast.Raise, ast.Return)):
            continue
        test = node.test
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
            continue
        call = test.operand.value if isinstance(test.operand, ast.Await) else test.operand
        if isinstance(call, ast.Call) and _last(call.func):
            names.append(_last(call.func))
    return tuple(names)


def _unconditional(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements every run reaches in order, `try` and `with` bodies included."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.Try, ast.With, ast.AsyncWith)):
            yield from _unconditional(stmt.body)


def _rejects_bad_digest(node: ast.AST, digests: frozenset[str] = frozenset()) -> bool:
    """`if not compare_digest(...): raise/return`, or an `assert` of it."""
    if not isinstance(node, (ast.If, ast.Assert)) or not _compares_digest(node.test, digests):
        return False
    return isinstance(node, ast.Assert) or _ends_in(node.body, (ast.Raise, ast.Return))


def _compares_digest(test: ast.expr, digests: frozenset[str] = frozenset()) -> bool:
    """A `compare_digest` of a signature: one side is computed by a hash or HMAC (in
    place, or bound to a name of `digests` first), or named for a signature. A one-time
    code or a password compared in constant time verifies a person, not a sender (`if
    not compare_digest(stored["code"], code)`)."""
    return any(
        isinstance(n, ast.Call)
        and _last(n.func) == "compare_digest"
        and any(_signature_like(arg, digests) for arg in n.args)
        for n in ast.walk(test)
    )


def _digest_names(own: list[ast.AST]) -> frozenset[str]:
    """Names the function binds to a computed digest (`expected = hmac.new(...)
    .hexdigest()`)."""
    return frozenset(
        target.id
        for node in own
        if isinstance(node, ast.Assign) and _computes_digest(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    )


def _computes_digest(node: ast.expr) -> bool:
    return any(
        isinstance(part, ast.Call) and _last(part.func) in _DIGESTS for part in ast.walk(node)
    )


def _signature_like(node: ast.expr, digests: frozenset[str] = frozenset()) -> bool:
    if _computes_digest(node) or (isinstance(node, ast.Name) and node.id in digests):
        return True
    return any(_SIGNED_NAMES.search(word) for word in _words(node))


def _is_webhook(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _last(node.func) == "Webhook"


# ------------------------------------------------------------------ jobs and routes


def _job_decorator(fn: _Function) -> str | None:
    for decorator in fn.decorator_list:
        called = isinstance(decorator, ast.Call)
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        last = _last(target)
        if last in _JOB_DECORATORS or (called and last in _JOB_DECORATORS_CALLED):
            return _dotted(target)
    return None


def _startup_decorator(fn: _Function) -> str | None:
    """`@app.on_event("startup")` (or `"shutdown"`): run by the server, no request."""
    for decorator in fn.decorator_list:
        if isinstance(decorator, ast.Call) and _last(decorator.func) == "on_event":
            event = decorator.args[0] if decorator.args else None
            if isinstance(event, ast.Constant) and event.value in _LIFECYCLE_EVENTS:
                return f'{_dotted(decorator.func)}("{event.value}")'
    return None


def _lifecycle_handlers(call: ast.Call) -> Iterator[tuple[str, str]]:
    """Functions a call hands to the server to run at startup or shutdown:
    `FastAPI(lifespan=f)`, `Starlette(on_startup=[f])`,
    `app.add_event_handler("startup", f)`."""
    for keyword in call.keywords:
        if keyword.arg == "lifespan" and isinstance(keyword.value, ast.Name):
            yield keyword.value.id, "`lifespan=`"
        elif keyword.arg in ("on_startup", "on_shutdown") and isinstance(
            keyword.value, (ast.List, ast.Tuple)
        ):
            for item in keyword.value.elts:
                if isinstance(item, ast.Name):
                    yield item.id, f"`{keyword.arg}=`"
    if _last(call.func) == "add_event_handler" and len(call.args) == 2:
        event, handler = call.args
        lifecycle = isinstance(event, ast.Constant) and event.value in _LIFECYCLE_EVENTS
        if lifecycle and isinstance(handler, ast.Name):
            yield handler.id, f'`add_event_handler("{event.value}", ...)`'


def _cli_command(fn: _Function) -> str | None:
    """`@app.command(...)` / `@cli.command()` in a module that uses click or typer."""
    for decorator in fn.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _last(target) == "command":
            return _dotted(target)
    return None


def _imports_cli_framework(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            modules = [alias.name for alias in stmt.names]
        elif isinstance(stmt, ast.ImportFrom):
            modules = [stmt.module or ""]
        else:
            continue
        if any(module.split(".")[0] in _CLI_FRAMEWORKS for module in modules):
            return True
    return False


_SIMPLE_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_PATH_PARAMETER = re.compile(r"{\w+(?::(\w+))?}")
# What each path converter matches (Starlette's); an unknown one is taken to match
# anything, so a route behind it is never called unreachable on a guess.
_CONVERTERS = {
    "": "[^/]+",
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": "[0-9]+(?:\\.[0-9]+)?",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}
# Stands for any value of a later route's own parameter: no literal segment equals it.
_ANY_VALUE = "\x00"


def shadowed_routes(body: Iterable[ast.stmt]) -> dict[_Function, str]:
    """Routes no request reaches: an earlier route of the module, on the same router
    and method, matches every path this one does (`@router.get("/org/{org_id}")`
    before `@router.get("/org/{invite_id}")`, or `/sessions/{session_id}` before
    `/sessions/resume`). The router tries routes in the order they were added and the
    first match answers, also when its parameters then fail validation."""
    earlier: dict[tuple[str, str], list[tuple[re.Pattern[str], str, int, str]]] = {}
    found: dict[_Function, str] = {}
    for stmt in body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for router, method, path in _route_paths(stmt):
            routes = earlier.setdefault((router, method), [])
            sample = _PATH_PARAMETER.sub(lambda m: _sample(m[1] or ""), path)
            for pattern, name, line, first in routes:
                if name != stmt.name and pattern.fullmatch(sample):
                    found[stmt] = (
                        f"unreachable route: `{method.upper()} {path}` is answered first by"
                        f" `{name}` (line {line}, `{first}`)"
                    )
                    break
            routes.append((_matcher(path), stmt.name, stmt.lineno, path))
    return found


def _matcher(path: str) -> re.Pattern[str]:
    pieces = _PATH_PARAMETER.split(path)
    # `split` interleaves the text between parameters with each one's converter.
    regex = "".join(
        re.escape(piece) if index % 2 == 0 else _CONVERTERS.get(piece or "", ".*")
        for index, piece in enumerate(pieces)
    )
    return re.compile(regex)


def _sample(converter: str) -> str:
    """A later route's parameter: only a parameter of the earlier route matches it,
    and only one whose converter lets any value through."""
    return f"{_ANY_VALUE}/{_ANY_VALUE}" if converter == "path" else _ANY_VALUE


def _route_paths(fn: _Function) -> Iterator[tuple[str, str, str]]:
    for decorator in fn.decorator_list:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            continue
        method = decorator.func.attr
        router = _dotted(decorator.func.value)
        path = decorator.args[0] if decorator.args else None
        literal = isinstance(path, ast.Constant) and isinstance(path.value, str)
        if method in _SIMPLE_ROUTES and router and literal:
            yield router, method, path.value  # type: ignore[union-attr]


def _is_route(fn: _Function) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in _ROUTE_METHODS
        for d in fn.decorator_list
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = (test.left, test.comparators[0])
    named = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return named and main


def _dependency_names(fn: _Function) -> set[str]:
    args = fn.args
    defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    annotations = [
        a.annotation
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        if a.annotation is not None
    ]
    names = set()
    for root in (*defaults, *annotations, *fn.decorator_list):
        for node in walk(root):
            if isinstance(node, ast.Call) and _last(node.func) in _DEPENDS and node.args:
                target = node.args[0]
                names.add(_last(target.func if isinstance(target, ast.Call) else target))
    names.discard("")
    return names


# ------------------------------------------------------------------ syntax walking


# Hand-rolled walks: `ast.walk`, `ast.iter_child_nodes` and their generators were most of
# this module's time. Both skip the leaves without fields (`Load`, operators), which no
# test here looks at, and keep the order of every other node; names' and constants'
# fields are not looked at.


def _walk_breadth(tree: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk(tree)`, in its order, leaves without fields left out."""
    todo = deque([tree])
    pop, extend = todo.popleft, todo.extend
    while todo:
        node = pop()
        if node.__class__ not in LEAVES:
            extend(child_nodes(node))
        yield node


def _own_nodes(fn: ast.AST) -> list[ast.AST]:
    """Every node of a function's body, nested functions and classes left out (those
    that are statements of the body itself are kept, with what they hold), in the
    order of a stack walk; leaves without fields left out."""
    stack: list[ast.AST] = list(getattr(fn, "body", []))
    pop, push, nested = stack.pop, stack.append, _NESTED
    found: list[ast.AST] = []
    while stack:
        node = pop()
        found.append(node)
        if node.__class__ in LEAVES:
            continue
        for child in child_nodes(node):
            if not isinstance(child, nested):
                push(child)
    return found


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _called_names(own: Iterable[ast.AST]) -> set[str]:
    """The names called among `own` (a function's own nodes)."""
    names = set()
    for node in own:
        if isinstance(node, ast.Call):
            names.add(_last(node.func))
            # `asyncio.run(main())`, `to_thread(sync_job)`: the function handed over runs too.
            names.update(_last(a) for a in node.args if isinstance(a, (ast.Name, ast.Attribute)))
    names.discard("")
    return names


def _ends_in(body: list[ast.stmt], kinds: tuple[type, ...]) -> bool:
    return bool(body) and isinstance(body[-1], kinds)


def _words(node: ast.AST) -> list[str]:
    """The names, attributes and string literals a test mentions."""
    found = []
    for child in walk(node):
        if isinstance(child, ast.Name):
            found.append(child.id)
        elif isinstance(child, ast.Attribute):
            found.append(child.attr)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.append(child.value)
    return found


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _last_of(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def _last(node: ast.AST) -> str:
    return _dotted(node).rsplit(".", 1)[-1]
