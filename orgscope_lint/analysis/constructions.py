"""Calls that construct an object, as the caller proof follows them into `__init__`.

Read by both the interpreter and the plain-call scan (files never given to LibCST), so
this module imports nothing heavy. What an object's attributes hold from its
constructor is `constructor_fields.py`.
"""

from __future__ import annotations

from collections.abc import Iterable

from orgscope_lint.facts import ArgFact

# The origin of a value read from an attribute the constructor stored from a parameter:
# `init:user` for `self.user`, set by `self.user = user` in `__init__`.
FIELD = "init:"


def constructs(name: str) -> bool:
    """`WorkspaceService(...)`: a plain call of a class, by the name's spelling."""
    return name[:1].isupper()


def to_follow(args: Iterable[ArgFact]) -> bool:
    """A construction the caller proof can follow into the class's `__init__`: some
    argument says where it comes from, beyond a literal. One whose arguments say
    nothing proves nothing either way: its class then counts as constructed unseen."""
    return any(arg.params or arg.origin not in (None, "literal") for arg in args)
