"""Calls in code LibCST never sees (functions with no database call and no tenant name,
files with neither), read from the `ast` tree already parsed.

Such a function can still sit between a route and a helper (`load(thread_id): return
get_thread(thread_id)`): what it passes along is its own parameters, which the caller
proof follows to its callers. The methods of an undecorated class are read the same
way, with what the object holds from its constructor (`self.user.id`:
`constructor_fields`). Nothing else is known there, so every other argument is unknown,
and a call on a receiver or inside a decorated function or class, a class body or a
nested function only makes its callee's call sites unseen; except a method call on the
function's one instance of a class (`worker = JobWorker(queue)`, bound once, then
`worker.run_loop()`), which reaches that class's method. A construction
(`RoleService(sb, user_id)`) is recorded when some argument says where it comes from,
and otherwise makes its class constructed unseen (`constructions.py`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from orgscope_lint.analysis import thread_pools
from orgscope_lint.analysis.constructions import constructs, to_follow
from orgscope_lint.analysis.constructor_fields import Fields, field_origin
from orgscope_lint.analysis.positions import ast_dotted
from orgscope_lint.analysis.slicing import may_be_project_call
from orgscope_lint.analysis.task_queues import Enqueue, enqueue_of
from orgscope_lint.facts import ArgFact, CallFact, FunctionFact
from orgscope_lint.findings import Span

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """Python's own line breaks only: `str.splitlines()` also breaks at \\f."""
    return _LINE_BREAK.split(text)


@dataclass
class PlainCalls:
    functions: list[FunctionFact] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)
    unseen: set[str] = field(default_factory=set)


def plain_calls(
    statements: Iterable[ast.stmt], lines: Sequence[str], fields: Fields | None = None
) -> PlainCalls:
    """`fields`: the module's constructor fields (`constructor_fields`)."""
    found = PlainCalls()
    for stmt in statements:
        if _plain_function(stmt):
            _function(stmt, lines, found)  # type: ignore[arg-type]
        elif isinstance(stmt, ast.ClassDef) and not stmt.decorator_list:
            _class(stmt, lines, found, (fields or {}).get(stmt.name, {}))
        else:
            found.unseen |= _called(stmt)
    return found


def _plain_function(stmt: ast.stmt) -> bool:
    plain = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    return plain and not stmt.decorator_list  # type: ignore[union-attr]


def _class(
    node: ast.ClassDef, lines: Sequence[str], found: PlainCalls, fields: dict[str, str]
) -> None:
    """Its undecorated methods, which may hand on what the object holds from its
    constructor (`self.user.id`: `constructor_fields`)."""
    for stmt in node.body:
        if _plain_function(stmt):
            _function(stmt, lines, found, node.name, fields)  # type: ignore[arg-type]
        else:
            found.unseen |= _called(stmt)


def _function(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    lines: Sequence[str],
    found: PlainCalls,
    owner: str | None = None,
    fields: dict[str, str] | None = None,
) -> None:
    args = node.args
    params = tuple(
        a.arg
        for a in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg)
        if a is not None
    )
    line = node.lineno
    text = lines[line - 1] if line <= len(lines) else ""
    indent = len(text) - len(text.lstrip())
    qualname = f"{owner}.{node.name}" if owner else node.name
    found.functions.append(
        FunctionFact(
            qualname=qualname,
            name=node.name,
            class_name=owner,
            db_class=False,
            params=params,
            org_params=(),  # a tenant-like name would have kept it for LibCST
            span=Span(line, indent + 1, line, len(text.rstrip("\r\n")) + 1),
            end_line=node.end_lineno or line,
            returns_class=_returned_class(node.returns),
        )
    )
    own = list(_own_nodes(node.body))
    instances = _instances(own)
    for current in own:
        if isinstance(current, _SCOPES):
            found.unseen |= _called(current)
        elif isinstance(current, ast.Call):
            _call(current, qualname, params, lines, found, instances, fields or {})


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The function's nodes, and the nested scopes themselves but not what is in them."""
    stack: list[ast.AST] = list(body)
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, _SCOPES):
            stack.extend(ast.iter_child_nodes(current))


def _instances(own: list[ast.AST]) -> dict[str, str]:
    """`worker = JobWorker(queue)`, the one binding of `worker` in the function: its
    method calls (`worker.run_loop()`) reach that class's methods."""
    stores: dict[str, int] = {}
    made: dict[str, str] = {}
    for node in own:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                stores[name] = 2  # another scope may bind it too
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id[:1].isupper()
        ):
            made[node.targets[0].id] = node.value.func.id
    return {name: cls for name, cls in made.items() if stores.get(name) == 1}


def _returned_class(annotation: ast.expr | None) -> str | None:
    if annotation is None:
        return None
    # Imported here: this module reads files LibCST is never loaded for.
    from orgscope_lint.analysis.syntax import returned_class

    return returned_class(ast.unparse(annotation))


def _call(
    node: ast.Call,
    function: str,
    params: tuple[str, ...],
    lines: Sequence[str],
    found: PlainCalls,
    instances: dict[str, str],
    fields: dict[str, str],
) -> None:
    """`fields`: the constructor fields of the class of which `function` is a method."""
    node = _run_in_thread(node, params) or node
    enqueue = _enqueue(node, params)
    handed = enqueue.task if enqueue is not None else None
    for value in (*node.args, *(k.value for k in node.keywords)):
        if isinstance(value, ast.Name) and value.id not in params and value.id != handed:
            found.unseen.add(value.id)  # maybe a function handed over as a value
    if enqueue is not None:
        slots, starred = _enqueued_args(node, enqueue)
        _record(node, enqueue.task, slots, starred, function, params, lines, found, fields=fields)
        found.calls[-1] = replace(found.calls[-1], enqueued=True)
        return
    func = node.func
    receiver = (
        func.value.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        else ""
    )
    if receiver in instances:
        assert isinstance(func, ast.Attribute)
        owner = (receiver, instances[receiver])
        _record(node, func.attr, *_slots(node), function, params, lines, found, owner, fields)
        return
    if not isinstance(func, ast.Name):
        found.unseen |= _called(func) | _method_name(node)
        return
    if may_be_project_call(func.id):
        _record(node, func.id, *_slots(node), function, params, lines, found, fields=fields)
    elif constructs(func.id):
        slots, starred = _slots(node)
        if to_follow([_arg(slot, value, params, fields) for slot, value in slots]):
            _record(node, func.id, slots, starred, function, params, lines, found, fields=fields)
        else:
            found.unseen.add(func.id)  # constructed with what no proof can follow


def _run_in_thread(node: ast.Call, params: tuple[str, ...]) -> ast.Call | None:
    """`run_in_threadpool(f, a)` as the call it makes, `f(a)`, where the pool's call
    stands (`thread_pools`)."""
    func = node.func
    if isinstance(func, ast.Attribute):
        name, receiver = func.attr, ast_dotted(func.value)
    elif isinstance(func, ast.Name):
        name, receiver = func.id, ""
    else:
        return None
    position = thread_pools.function_position(name, receiver)
    if position is None or (not receiver and name in params) or len(node.args) <= position:
        return None
    if any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1]):
        return None
    target = node.args[position]
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return None
    made = ast.Call(func=target, args=node.args[position + 1 :], keywords=node.keywords)
    return ast.copy_location(made, node)


def _slots(node: ast.Call) -> tuple[list[tuple[str, ast.expr]], bool]:
    slots = [(str(i), a) for i, a in enumerate(node.args) if not isinstance(a, ast.Starred)]
    slots += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
    starred = any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    )
    return slots, starred


def _record(
    node: ast.Call,
    name: str,
    slots: list[tuple[str, ast.expr]],
    starred: bool,
    function: str,
    params: tuple[str, ...],
    lines: Sequence[str],
    found: PlainCalls,
    owner: tuple[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> None:
    """`owner`: the receiver's name and class, for a method call on a known instance."""
    span = _span(node, lines)
    receiver, receiver_class = owner if owner is not None else ("", None)
    found.calls.append(
        CallFact(
            name=name,
            receiver=receiver,
            receiver_class=receiver_class,
            args=tuple(_arg(slot, value, params, fields or {}) for slot, value in slots),
            starred=starred,
            span=span,
            function=function,
            snippet=lines[span.line - 1].strip() if span.line <= len(lines) else "",
        )
    )


def _enqueue(node: ast.Call, params: tuple[str, ...]) -> Enqueue | None:
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value.id if isinstance(func.value, ast.Name) else ""
    first = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    first_name = first.id if isinstance(first, ast.Name) else None
    enqueue = enqueue_of(func.attr, receiver, first_name)
    return None if enqueue is None or enqueue.task in params else enqueue


def _enqueued_args(node: ast.Call, enqueue: Enqueue) -> tuple[list[tuple[str, ast.expr]], bool]:
    """As `interpreter._enqueued_args`, on the `ast`: (slots, starred)."""
    keywords = {k.arg: k.value for k in node.keywords}
    starred = any(isinstance(a, ast.Starred) for a in node.args) or None in keywords
    if not enqueue.packed:
        positional = node.args[enqueue.skip :]
        slots = [(str(i), a) for i, a in enumerate(positional)]
        return slots + [(k, v) for k, v in keywords.items() if k is not None], starred
    packed, named = keywords.get("args"), keywords.get("kwargs")
    slots: list[tuple[str, ast.expr]] = []
    if isinstance(packed, (ast.Tuple, ast.List)):
        slots += [(str(i), a) for i, a in enumerate(packed.elts)]
    elif packed is not None:
        starred = True
    if isinstance(named, ast.Dict) and all(isinstance(k, ast.Constant) for k in named.keys):
        slots += [(str(k.value), v) for k, v in zip(named.keys, named.values, strict=True)]  # type: ignore[union-attr]
    elif named is not None:
        starred = True
    return slots, starred


def _arg(slot: str, value: ast.expr, params: tuple[str, ...], fields: dict[str, str]) -> ArgFact:
    if isinstance(value, ast.Name) and value.id in params:
        return ArgFact(slot, None, (value.id,))
    if isinstance(value, ast.Constant):
        return ArgFact(slot, "literal", text=value.value if isinstance(value.value, str) else None)
    field = _param_field(value, params)
    if field is not None:  # `request.conversation_id`: that field of the parameter
        return ArgFact(slot, None, field[:1], field=field[1])
    return ArgFact(slot, field_origin(value, fields))


def _param_field(value: ast.expr, params: tuple[str, ...]) -> tuple[str, str] | None:
    """(parameter, field) for `request.conversation_id` or `body["org_id"]`; not the
    object's own attributes (`self.client`: `constructor_fields`)."""
    params = tuple(param for param in params if param not in ("self", "cls"))
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        return (value.value.id, value.attr) if value.value.id in params else None
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id in params
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
    ):
        return value.value.id, value.slice.value
    return None


def _called(tree: ast.AST) -> set[str]:
    """Every name called anywhere below `tree`, methods included."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and (may_be_project_call(func.id) or constructs(func.id)):
                names.add(func.id)
            names |= _method_name(node)
    return names


def _method_name(node: ast.Call) -> set[str]:
    return {node.func.attr} if isinstance(node.func, ast.Attribute) else set()


def _span(node: ast.expr, lines: Sequence[str]) -> Span:
    end_line = node.end_lineno or node.lineno
    return Span(
        node.lineno,
        _column(lines, node.lineno, node.col_offset),
        end_line,
        _column(lines, end_line, node.end_col_offset or node.col_offset),
    )


def _column(lines: Sequence[str], line: int, byte_offset: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_offset + 1
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1
