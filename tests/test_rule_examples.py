"""Every rule's VALID and INVALID examples, run through the whole engine.

A rule's tests cost one list in its own module: add an example there and it runs here.
In INVALID examples `# expect: CODE` marks each line where the rule must report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgscope_lint.config import config_from_mapping
from orgscope_lint.engine import run, select_rules
from orgscope_lint.rule import Example, as_example
from orgscope_lint.rules import ALL_RULES

_EXPECT = re.compile(r"(?:#|--)\s*expect:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")


def _cases(kind: str) -> list:
    cases = []
    for rule in ALL_RULES:
        for index, example in enumerate(getattr(rule, kind)):
            cases.append(pytest.param(rule, as_example(example), id=f"{rule.code}-{kind}-{index}"))
    return cases


def _run(example: Example, tmp_path: Path, rule_code: str):
    (tmp_path / "example.py").write_text(example.code, encoding="utf-8")
    for name, code in example.files:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    for name, sql in example.migrations:
        (tmp_path / "migrations").mkdir(exist_ok=True)
        (tmp_path / "migrations" / name).write_text(sql, encoding="utf-8")
    config = config_from_mapping(dict(example.config), source=tmp_path / "orgscope.toml")
    rules = select_rules(strict=True)
    return run([tmp_path], config, rules=rules, cwd=tmp_path)


def _expected_lines(code: str) -> set[tuple[int, str]]:
    expected = set()
    for number, line in enumerate(code.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected.update((number, c.strip()) for c in match.group(1).split(","))
    return expected


def _sources(example: Example) -> dict[str, str]:
    """Each file of the example whose markers count: the module and its migrations."""
    return {
        "example.py": example.code,
        **{f"migrations/{name}": sql for name, sql in example.migrations},
    }


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
def test_valid_example_is_not_reported(rule, example: Example, tmp_path: Path) -> None:
    result = _run(example, tmp_path, rule.code)
    shown = _sources(example)
    reported = [f for f in result.active if f.code == rule.code and f.path in shown]
    assert reported == [], f"{rule.code} must stay silent on:\n{shown}"


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_invalid_example_is_reported_where_marked(rule, example: Example, tmp_path: Path) -> None:
    sources = _sources(example)
    expected = {
        (path, line, code) for path, text in sources.items() for line, code in _expected_lines(text)
    }
    assert any(code == rule.code for *_, code in expected), "an INVALID example needs a marker"
    result = _run(example, tmp_path, rule.code)
    mine = [f for f in result.active if f.path in sources]
    got = {(f.path, f.line, f.code) for f in mine if f.code == rule.code}
    wanted = {(path, line, code) for path, line, code in expected if code == rule.code}
    assert got == wanted, f"{rule.code} on:\n{sources}\ngot {sorted(got)}"
    # One fault, one finding: no other rule speaks at a marked site.
    for path, line, _ in wanted:
        codes = sorted(f.code for f in mine if (f.path, f.line) == (path, line))
        assert codes == [rule.code], f"{path}:{line} reported as {codes}"


def test_every_rule_has_examples_both_ways() -> None:
    for rule in ALL_RULES:
        assert rule.valid, f"{rule.code} has no VALID example"
        assert rule.invalid, f"{rule.code} has no INVALID example"


def test_every_rule_documents_the_ruff_sections() -> None:
    for rule in ALL_RULES:
        doc = rule.help_markdown()
        for section in ("## What it does", "## Why is this bad?", "## Example"):
            assert section in doc, f"{rule.code} lacks {section}"
