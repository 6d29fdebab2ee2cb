"""Membership checks: a requested tenant id tested against the caller's own memberships.

```python
mine = sb.table("memberships").select("tenant_id").eq("user_id", current_user["id"]).execute()
allowed = {m["tenant_id"] for m in mine.data}
if str(tenant_id) not in allowed:
    raise HTTPException(403)
```

After such a test the id is one the principal holds, as if it had been compared with the
principal directly. The collection counts only when it was built from the principal
itself or from the rows of a query pinned to the principal (a list, set or dict
comprehension over them, `set(...)` of them, the rows themselves); a collection from the
request, or from a query anyone's rows answer, proves nothing. `any(m["tenant_id"] == x
for m in rows)` is the same test written as a generator, `roles.get(x)` (no default)
found, or equal to a role, is the same test on a dict keyed by the caller's tenants, and
`tid = str(tenant_id)` makes the test of `tid` a test of `tenant_id` too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import libcst as cst

from orgscope_lint.analysis import identity
from orgscope_lint.analysis import values as V
from orgscope_lint.analysis.syntax import dotted_name
from orgscope_lint.analysis.values import Value
from orgscope_lint.facts import KeyFact, Query

# Calls that turn a value into another spelling of the same id: `str(tenant_id)`.
_CONVERSIONS = frozenset({"str", "int", "UUID", "uuid.UUID"})
SPELLING_METHODS = frozenset({"strip", "lower", "upper", "casefold", "hex"})
# Builtins whose result holds the items of their one argument.
_SAME_ITEMS = frozenset({"list", "set", "frozenset", "tuple", "sorted"})
# Environment keys for aliases: no Python name can start with this.
ALIAS = "≡"


def alias_source(node: cst.BaseExpression, renamed: Collection[str] = ()) -> str | None:
    """The variable `node` only respells: `x`, `str(x)`, `UUID(x)`, `x.strip()`;
    `renamed` are other names of the conversions (`from uuid import UUID as U`)."""
    if isinstance(node, cst.Name):
        return node.value
    if not isinstance(node, cst.Call):
        return None
    if isinstance(node.func, cst.Attribute) and node.func.attr.value in SPELLING_METHODS:
        inner: cst.BaseExpression = node.func.value
    else:
        argument = converted(node, renamed)
        if argument is None:
            return None
        inner = argument
    return alias_source(inner, renamed)


def converted(node: cst.BaseExpression, renamed: Collection[str] = ()) -> cst.BaseExpression | None:
    """The one argument of a conversion that keeps the id (`str(user.org_id)`)."""
    if not isinstance(node, cst.Call) or len(node.args) != 1:
        return None
    arg = node.args[0]
    name = dotted_name(node.func)
    if arg.keyword is not None or arg.star or not (name in _CONVERSIONS or name in renamed):
        return None
    return arg.value


def unconverted(node: cst.BaseExpression, renamed: Collection[str] = ()) -> cst.BaseExpression:
    """`str(row["owner_id"])` is `row["owner_id"]`, respelled."""
    inner = converted(node, renamed)
    return unconverted(inner, renamed) if inner is not None else node


def renamed_conversion(module: str, name: str) -> bool:
    """`from uuid import UUID as ...`: the import binds a conversion under another name."""
    return f"{module}.{name}" in _CONVERSIONS


def spelled_from(names: Collection[str], env: Mapping[str, Value]) -> set[str]:
    """`names` and the variables they respell (`org_id = UUID(organization_id)`): a
    lookup that found a row by `org_id` found it by `organization_id` too."""
    found = set(names)
    pending = list(names)
    while pending:
        source = env.get(ALIAS + pending.pop())
        if source is not None and source.text and source.text not in found:
            found.add(source.text)
            pending.append(source.text)
    return found


def same_items(name: str, args: Sequence[Value], renamed: Collection[str] = ()) -> Value | None:
    """`set(rows)`, `list(ids)`: the value of the one argument, items and provenance kept;
    `str(user.id)`, `UUID(org_id)`: the same id, its provenance kept (`renamed`: other
    names of those conversions)."""
    if name in _SAME_ITEMS and len(args) == 1:
        return args[0]
    if (name in _CONVERSIONS or name in renamed) and len(args) == 1:
        part = V.derived(args[0])
        return (
            part if part is V.TOP else replace(part, column=args[0].column, checked=args[0].checked)
        )
    if name == "next" and args:
        return args[0].element or V.derived(args[0])
    return None


def trusted_collection(value: Value, queries: Sequence[Query], tenant: Tenant = ()) -> bool:
    """Built from the principal, or from rows of a query pinned to the principal (or to
    the credential the request presents: the key holder's own rows), or to the tenant a
    dependency of the route resolved (`tenant`)."""
    for part in (value, value.element):
        if part is None:
            continue
        if part.origin == "principal":
            return True
        if (
            part.row
            and part.row.startswith("q")
            and _pinned_to_principal(part.row, queries, tenant)
        ):
            return True
    return False


# (the function's parameters FastAPI fills from a dependency, the tenant-like columns)
Tenant = tuple[Collection[str], Collection[str]] | tuple[()]


def _pinned_to_principal(ref: str, queries: Sequence[Query], tenant: Tenant) -> bool:
    index = int(ref[1:])
    if index >= len(queries) or queries[index].operation == "insert":
        return False
    shape = queries[index].shape
    return identity.pins_presented_credential(shape) or any(
        _the_callers(fact, tenant) for fact in shape.keys
    )


def _the_callers(fact: KeyFact, tenant: Tenant) -> bool:
    """Pinned to the principal, or its tenant key to a parameter a dependency filled
    (`.eq("org_id", org_id)` with `org_id = Depends(get_active_org_id)`): the caller's
    tenant as the route's dependency resolved it. A dependency that may return request
    input makes this very read ORG009 (`dependency_values`): one missing check, found
    there."""
    if not fact.always or fact.maybe_empty:
        return False
    if fact.origin == "principal":
        return True
    if not tenant or fact.origin or fact.row or len(fact.params) != 1:
        return False
    filled, tenant_keys = tenant
    return fact.key in tenant_keys and fact.params[0] in filled


def any_match(node: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """`any(m["k"] == x for m in rows)`: (x, rows), the outer value and the iterated rows."""
    if dotted_name(node.func) != "any" or len(node.args) != 1:
        return None
    generator = node.args[0].value
    if not isinstance(generator, cst.GeneratorExp):
        return None
    test, loop = generator.elt, generator.for_in
    if loop.inner_for_in is not None or loop.ifs or not isinstance(test, cst.Comparison):
        return None
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return None
    bound = _names(loop.target)
    left, right = test.left, test.comparisons[0].comparator
    left_inner, right_inner = bool(_names(left) & bound), bool(_names(right) & bound)
    if left_inner == right_inner:
        return None
    return (right if left_inner else left), loop.iter


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(current.children)
    return found
