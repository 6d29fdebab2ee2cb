"""Module-level functions that never return (analysis/raisers.py)."""

from __future__ import annotations

import ast
import textwrap

from orgscope_lint.analysis.raisers import never_returning


def _never(source: str) -> frozenset[str]:
    return never_returning(ast.parse(textwrap.dedent(source)))


def test_a_body_that_ends_in_raise_and_never_returns() -> None:
    assert _never(
        """
        def not_found(what):
            detail = f"{what} not found"
            raise HTTPException(404, detail)
        """
    ) == {"not_found"}


def test_the_annotation_says_so() -> None:
    assert _never(
        """
        import typing
        def deny() -> NoReturn:
            log()
            abort()
        def stop() -> typing.Never:
            exit()
        """
    ) == {"deny", "stop"}


def test_an_early_return_or_a_conditional_raise_may_come_back() -> None:
    assert (
        _never(
            """
            def early(x):
                if x:
                    return None
                raise ValueError(x)
            def sometimes(x):
                if x:
                    raise ValueError(x)
            def generator():
                yield 1
                raise StopIteration
            """
        )
        == frozenset()
    )


def test_a_return_inside_a_nested_function_is_its_own() -> None:
    assert _never(
        """
        def fail():
            def detail():
                return "gone"
            raise LookupError(detail())
        """
    ) == {"fail"}


def test_methods_and_nested_functions_are_not_module_functions() -> None:
    assert (
        _never(
            """
            class Errors:
                def not_found(self):
                    raise LookupError()
            def outer():
                def inner():
                    raise LookupError()
                return inner
            """
        )
        == frozenset()
    )
