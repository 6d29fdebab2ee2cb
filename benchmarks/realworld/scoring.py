"""Match orgscope-lint findings to hand-written labels and score them.

Pure functions over plain data, so they can be tested without a checkout or a network:

- `finding_key` names a finding by what survives line shifts and engine changes: its
  path, rule code, the qualified name of the enclosing function and a normalised text of
  the reported source line. Line numbers are never part of a key.
- `match` pairs every finding with the label of the same key (`None` when unlabeled) and
  returns the labels no finding matched (stale: the engine no longer reports that site).
- `score` counts findings per project, context and rule, and computes precision.

Precision is computed over error-severity findings only:
`precision = leak / (leak + false)`; defense-in-depth findings are left out of it (they
are neither a leak nor noise: the key is missing, but nothing leaks today), and
`strict = leak / (leak + false + defense-in-depth)` counts them against the tool, since an
error is meant to be a leak. Unlabeled findings count in neither, and are listed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

VERDICTS = ("leak", "defense-in-depth", "false")
CONTEXTS = ("request", "system")
LABEL_FIELDS = ("path", "code", "function", "line_text", "verdict", "context", "reason")

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Key:
    path: str
    code: str
    function: str
    line_text: str


@dataclass(frozen=True)
class Label:
    key: Key
    verdict: str
    context: str
    reason: str


@dataclass
class Tally:
    findings: int = 0
    leak: int = 0
    defense: int = 0
    false: int = 0
    unlabeled: int = 0
    # error-severity counts, the only ones precision is computed from
    error_leak: int = 0
    error_defense: int = 0
    error_false: int = 0

    def add(self, verdict: str | None, severity: str) -> None:
        self.findings += 1
        if verdict is None:
            self.unlabeled += 1
            return
        counted = {"leak": "leak", "defense-in-depth": "defense", "false": "false"}[verdict]
        setattr(self, counted, getattr(self, counted) + 1)
        if severity == "error":
            name = f"error_{counted}"
            setattr(self, name, getattr(self, name) + 1)

    @property
    def precision(self) -> float | None:
        judged = self.error_leak + self.error_false
        return self.error_leak / judged if judged else None

    @property
    def strict(self) -> float | None:
        judged = self.error_leak + self.error_false + self.error_defense
        return self.error_leak / judged if judged else None

    def as_dict(self) -> dict[str, object]:
        return {
            "findings": self.findings,
            "leak": self.leak,
            "defense-in-depth": self.defense,
            "false": self.false,
            "unlabeled": self.unlabeled,
            "error_leak": self.error_leak,
            "error_defense_in_depth": self.error_defense,
            "error_false": self.error_false,
            "precision": self.precision,
            "strict": self.strict,
        }


@dataclass
class Scores:
    by_project: dict[str, Tally] = field(default_factory=dict)
    by_context: dict[tuple[str, str], Tally] = field(default_factory=dict)
    by_rule: dict[tuple[str, str], Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)


def normalise_line(text: str) -> str:
    """One line of source with runs of whitespace collapsed, so reindenting keeps the key."""
    return _SPACE.sub(" ", text).strip()


def reported_text(lines: Sequence[str], line: int) -> str:
    """The normalised reported line; a line with no string literal on it (a chain broken
    right after its receiver: `client()`) is extended by up to two following lines until
    one holds a literal, so that such sites are keyed by their table name."""
    if not 0 < line <= len(lines):
        return ""
    parts = [normalise_line(lines[line - 1])]
    for extra in lines[line : line + 2]:
        if any(quote in " ".join(parts) for quote in "\"'"):
            break
        parts.append(normalise_line(extra))
    return " ".join(part for part in parts if part)


def enclosing_functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class in `source`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                spans.append((first, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def qualname_at(spans: Sequence[tuple[int, int, str]], line: int) -> str:
    """The innermost function or class around `line`, or `<module>`."""
    best = "<module>"
    best_size = None
    for first, last, name in spans:
        if first <= line <= last and (best_size is None or last - first < best_size):
            best, best_size = name, last - first
    return best


def finding_key(finding: Mapping[str, object], source: str | None) -> Key:
    """The label key of a JSON finding, given the text of its file (None if unreadable)."""
    line = int(finding["line"])  # type: ignore[arg-type]
    lines = source.splitlines() if source is not None else []
    text = reported_text(lines, line)
    function = qualname_at(enclosing_functions(source), line) if source else "<module>"
    return Key(str(finding["path"]), str(finding["code"]), function, text)


def related_keys(finding: Mapping[str, object], source_of: Callable[[str], str | None]) -> set[Key]:
    """The label keys of the sites a finding lists as related locations under its own
    rule (a gate folded into the route's finding): a label there is not reported on its
    own, but it is not lost either. `source_of` reads a file of the project."""
    keys: set[Key] = set()
    for related in finding.get("related") or ():  # type: ignore[union-attr]
        where = {"path": related["path"], "line": related["line"], "code": finding["code"]}
        keys.add(finding_key(where, source_of(str(related["path"]))))
    return keys


def parse_labels(entries: Iterable[Mapping[str, object]], origin: str = "labels") -> list[Label]:
    """Labels from the `[[finding]]` tables of a labels file; a malformed entry is an error."""
    labels: list[Label] = []
    seen: dict[Key, Label] = {}
    for number, entry in enumerate(entries, 1):
        missing = [name for name in LABEL_FIELDS if not isinstance(entry.get(name), str)]
        if missing:
            raise ValueError(f"{origin}: entry {number} lacks {', '.join(missing)}")
        if entry["verdict"] not in VERDICTS:
            raise ValueError(f"{origin}: entry {number}: verdict must be one of {VERDICTS}")
        if entry["context"] not in CONTEXTS:
            raise ValueError(f"{origin}: entry {number}: context must be one of {CONTEXTS}")
        key = Key(
            str(entry["path"]),
            str(entry["code"]),
            str(entry["function"]),
            normalise_line(str(entry["line_text"])),
        )
        label = Label(key, str(entry["verdict"]), str(entry["context"]), str(entry["reason"]))
        # One label covers every finding with its key, so two entries with one key must
        # agree; otherwise the first would silently win.
        earlier = seen.setdefault(key, label)
        if (earlier.verdict, earlier.context) != (label.verdict, label.context):
            raise ValueError(f"{origin}: entry {number} contradicts an earlier entry with its key")
        labels.append(label)
    return labels


def match(keys: Sequence[Key], labels: Sequence[Label]) -> tuple[list[Label | None], list[Label]]:
    """The label of each finding (by key; one label covers every finding with its key) and
    the labels that matched no finding."""
    by_key: dict[Key, Label] = {}
    for label in labels:
        by_key.setdefault(label.key, label)
    matched = [by_key.get(key) for key in keys]
    used = {label.key for label in matched if label is not None}
    stale = [label for label in labels if label.key not in used]
    return matched, stale


def score(rows: Iterable[tuple[str, str, str, Label | None]]) -> Scores:
    """Tallies from (project, rule code, severity, label) rows; an unlabeled finding has no
    context and is tallied under `unlabeled`."""
    scores = Scores()
    for project, code, severity, label in rows:
        verdict = label.verdict if label else None
        context = label.context if label else "unlabeled"
        for tally in (
            scores.by_project.setdefault(project, Tally()),
            scores.by_context.setdefault((project, context), Tally()),
            scores.by_rule.setdefault((project, code), Tally()),
            scores.total,
        ):
            tally.add(verdict, severity)
    return scores


def label_skeleton(key: Key, message: str, line: int) -> str:
    """A paste-ready `[[finding]]` entry for an unlabeled finding (TOML; JSON string
    escapes are valid TOML basic-string escapes)."""
    return "\n".join(
        [
            f"# line {line}: {message}",
            "[[finding]]",
            f"path = {json.dumps(key.path)}",
            f"code = {json.dumps(key.code)}",
            f"function = {json.dumps(key.function)}",
            f"line_text = {json.dumps(key.line_text)}",
            'verdict = "TODO"  # leak | defense-in-depth | false',
            'context = "TODO"  # request | system',
            'reason = "TODO"',
            "",
        ]
    )


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
