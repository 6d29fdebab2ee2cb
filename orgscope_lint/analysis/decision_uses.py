"""Names whose value only decides where the code goes, and never leaves the function.

```python
entitlements = resolve_entitlements(settings, org_id)
limit = (entitlements.get("limits") or {}).get("sessions")
if limit is not None and active >= int(limit):
    raise HTTPException(400, "Plan limit reached")
```

What `entitlements` holds reaches a test and nothing else: not a return, a write, a
response, a log line or an error message. A feature gate, a quota check and "is this
configured" read their rows only to decide; nothing of the rows leaves the server.

Read from the `ast` statements of one function. A use *decides* when it sits in the test
of an `if`, `while` or `assert`, reached only through pure operations (attributes,
subscripts, comparisons, `and`/`or`/`not`, arithmetic, conditional expressions,
literals, comprehensions, `len`/`int`/`str`/`bool`/`hasattr`/..., and `.get()` and its
kin). A pure assignment (`limit = entitlements.get("limits")`) passes the question on to
its target, bound only there. A use as a whole argument of a call whose result is
dropped (`require_feature(plan, "sso")`) is *handed*: the caller proof decides whether
that parameter of the callee only decides in turn (`FunctionFact.deciding_params`).

Counting, not flow: the name's occurrences in the function's text (comment lines and
plain strings aside, nested functions included) must be exactly its binding plus the
uses accounted for. Anything else (an f-string, a return, an argument of a call whose
result is kept, a second binding, a nested function reading it) makes the counts differ,
and the value counts as used.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

# Builtins that compute from their arguments and keep nothing.
_PURE_FUNCTIONS = frozenset(
    {"len", "int", "float", "str", "bool", "abs", "min", "max", "sum", "any", "all"}
    | {"hasattr", "getattr", "isinstance", "round", "sorted", "set", "list", "tuple"}
)
# Methods of dicts, strings and sequences that read without keeping anything.
_PURE_METHODS = frozenset(
    {"get", "keys", "values", "items", "lower", "upper", "strip", "startswith", "endswith"}
    | {"count", "index", "casefold"}
)
_CONTAINERS = (ast.Tuple, ast.List, ast.Set)
_COMPREHENSIONS = (ast.GeneratorExp, ast.ListComp, ast.SetComp)
TESTED = (ast.If, ast.While, ast.Assert)

# A handed use: the call whose result is dropped, and the slot the value fills.
Handed = tuple[ast.Call, str]


class FunctionText:
    """A function's text with comment lines and plain one-line strings blanked, once,
    and how often each name is written in it (not after a dot)."""

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]):
        self._own = lines[fn.lineno - 1 : fn.end_lineno or fn.lineno]
        self._code: str | None = None  # blanked on the first question only
        self._counts: dict[str, int] = {}

    def written(self, name: str) -> int:
        """How often `name` is written. Anything the blanking leaves (a trailing
        comment, a string it does not take apart) still counts: an over-count only
        ever keeps a value counted as used."""
        if self._code is None:
            self._code = "\n".join(map(_code_of, self._own))
        if name not in self._counts:
            pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
            self._counts[name] = len(pattern.findall(self._code))
        return self._counts[name]


@dataclass
class FunctionUses:
    """Where each name of one function is used in the ways this module accounts for."""

    text: FunctionText
    decided: Counter[str] = field(default_factory=Counter)
    derived: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    handed: dict[str, list[Handed]] = field(default_factory=lambda: defaultdict(list))
    # `f(plan=plan)`: the keyword is written like the name, and is no use of it.
    echoes: Counter[str] = field(default_factory=Counter)

    def only_decides(self, name: str) -> tuple[Handed, ...] | None:
        """The calls `name` is handed to when every other use of it decides; None when
        some use does not."""
        return self._only_decides(name, frozenset())

    def uses(self, name: str) -> int:
        """How many uses of `name` this module accounts for (its binding not counted)."""
        return (
            self.decided[name]
            + len(self.derived[name])
            + len(self.handed[name])
            + self.echoes[name]
        )

    def _only_decides(self, name: str, seen: frozenset[str]) -> tuple[Handed, ...] | None:
        if name in seen or self.text.written(name) != 1 + self.uses(name):
            return None
        handed = list(self.handed[name])
        for target in self.derived[name]:
            further = self._only_decides(target, seen | {name})
            if further is None:
                return None
            handed.extend(further)
        return tuple(handed)


def function_uses(
    text: FunctionText, statements: Sequence[ast.stmt], presence: bool = False
) -> FunctionUses:
    """The decision, pure-assignment and handed uses among `statements` (the function's
    own). With `presence`, only presence tests count (`if rows.data:`,
    `len(rows.data) == 0`): a query's rows compared by value may be the access check
    later code relies on, and are judged where they are read."""
    uses = FunctionUses(text)
    for stmt in statements:
        if isinstance(stmt, TESTED):
            uses.decided.update(presence_names(stmt.test) if presence else pure_names(stmt.test))
        elif presence:
            continue
        elif (target := single_target(stmt)) is not None:
            for name, count in pure_names(stmt.value).items():  # type: ignore[attr-defined]
                uses.derived[name].extend([target] * count)
        elif isinstance(stmt, ast.Expr):
            call = dropped_call(stmt)
            for name, handed in _handed_names(call) if call is not None else ():
                uses.handed[name].append(handed)
                uses.echoes[name] += handed[1] == name
    return uses


def deciding_params(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, statements: Sequence[ast.stmt], text: FunctionText
) -> tuple[str, ...]:
    """The parameters of a gate whose every use only decides, handed to nothing
    (`def require_feature(plan, feature): if not plan.get(feature): raise ...`):
    whatever a caller passes there never leaves it. A gate raises and returns no
    value; only such functions are asked (a dropped result is how a gate is called)."""
    if not any(isinstance(stmt, ast.Raise) for stmt in statements) or any(
        isinstance(stmt, ast.Return) and not _is_none(stmt.value) for stmt in statements
    ):
        return ()
    names = [arg.arg for arg in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    names = [name for name in names if name not in ("self", "cls")]
    if not names:
        return ()
    uses = function_uses(text, statements)
    return tuple(name for name in names if uses.uses(name) and uses.only_decides(name) == ())


def _is_none(value: ast.expr | None) -> bool:
    return value is None or (isinstance(value, ast.Constant) and value.value is None)


def dropped_call(stmt: ast.Expr) -> ast.Call | None:
    """`f(...)` or `await f(...)` as a statement of its own: its result is dropped."""
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    return value if isinstance(value, ast.Call) else None


def _handed_names(call: ast.Call) -> Iterator[tuple[str, Handed]]:
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Name):
            yield arg.id, (call, str(index))
    for keyword in call.keywords:
        if keyword.arg is not None and isinstance(keyword.value, ast.Name):
            yield keyword.value.id, (call, keyword.arg)


def single_target(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return stmt.target.id if isinstance(stmt.target, ast.Name) else None
    return None


def pure_names(expr: ast.expr) -> Counter[str]:
    """The names `expr` loads through pure operations only; a name under anything else
    (a call of unknown effect, an f-string, a lambda, a walrus) is left uncounted."""
    found: Counter[str] = Counter()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found[node.id] += 1
        else:
            stack.extend(pure_children(node))
    return found


def presence_names(test: ast.expr) -> Counter[str]:
    """The names a test only asks whether they hold rows: `name`, `name.data`,
    `len(name.data)`, `name.count` (a `count="exact"` read: how many, never which),
    through `not`, `and`/`or` and comparisons."""
    found: Counter[str] = Counter()
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            stack.append(node.operand)
        elif isinstance(node, ast.BoolOp):
            stack.extend(node.values)
        elif isinstance(node, ast.Compare):
            stack.extend([node.left, *node.comparators])
        elif isinstance(node, ast.Call) and _is_len(node):
            stack.append(node.args[0])
        elif isinstance(node, ast.Attribute) and node.attr in ("data", "count"):
            if isinstance(node.value, ast.Name):
                found[node.value.id] += 1
        elif isinstance(node, ast.Name):
            found[node.id] += 1
    return found


def compared_with_value(statements: Sequence[ast.stmt], name: str) -> bool:
    """Some test compares `name` with something other than a literal
    (`if presented != stored:`): a matched secret, not an existence check."""
    for stmt in statements:
        if not isinstance(stmt, TESTED):
            continue
        for node in ast.walk(stmt.test):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if any(name in presence_names(side) for side in sides) and any(
                not isinstance(side, ast.Constant) and name not in presence_names(side)
                for side in sides
            ):
                return True
    return False


def _is_len(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1


def pure_children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, (ast.Attribute, ast.Starred)):
        return [node.value]
    if isinstance(node, ast.Subscript):
        return [node.value, node.slice]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.IfExp):
        return [node.test, node.body, node.orelse]
    if isinstance(node, _CONTAINERS):
        return list(node.elts)
    if isinstance(node, ast.Slice):
        return [part for part in (node.lower, node.upper, node.step) if part is not None]
    if isinstance(node, ast.Dict):
        return [part for part in (*node.keys, *node.values) if part is not None]
    if isinstance(node, _COMPREHENSIONS):
        return [node.elt, *(part for gen in node.generators for part in (gen.iter, *gen.ifs))]
    if isinstance(node, ast.Call):
        return _pure_call_children(node)
    return []


def _pure_call_children(node: ast.Call) -> list[ast.expr]:
    if not is_pure_call(node):
        return []
    arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
    func = node.func
    return [func.value, *arguments] if isinstance(func, ast.Attribute) else arguments


def is_pure_call(node: ast.Call) -> bool:
    """A builtin that computes from its arguments, or a method that reads without
    keeping anything (`len(rows)`, `plan.get("limits")`)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in _PURE_FUNCTIONS
    return isinstance(func, ast.Attribute) and func.attr in _PURE_METHODS


_STRING = re.compile(r"""(?<!\w)([rRbBuUfF]{0,2})("[^"\n]*"|'[^'\n]*')""")


def _code_of(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    if "\\" in line:
        return line  # escapes could pair quotes wrongly: keep all of it
    return _STRING.sub(_blanked, line)


def _blanked(match: re.Match[str]) -> str:
    """A plain string as `""`; an f-string with only what its braces hold, so that a
    word of its text (`f"The {plan['tier']} plan"`) is not taken for a use."""
    if "f" not in (match.group(1) or "").lower():
        return '""'
    text, kept, depth, index = match.group(2), [], 0, 0
    while index < len(text):
        char = text[index]
        if depth == 0 and text.startswith(("{{", "}}"), index):
            index += 2
            continue
        depth += (char == "{") - (char == "}" and depth > 0)
        kept.append(char if depth or char == "}" else " ")
        index += 1
    return "".join(kept)
