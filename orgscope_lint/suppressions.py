"""Suppression comments: parsed from the source's comments, applied to findings.

The forms:

- `# orgscope: ignore[ORG001] -- reason` (or `ignore[ORG001,ORG004]`, or a bare
  `# orgscope: ignore` for every code) on the line where a finding starts;
- `# noqa: ORG001` on that line, as flake8 and ruff spell it, optionally with `-- reason`;
  a bare `# noqa` suppresses every code too;
- `# orgscope: system-context -- reason` on a `def` line: a deliberately cross-tenant
  function (admin tool, verified webhook, nightly job) is exempt from the tenant rules.

Which directives are ours: every `orgscope:` directive, and a `noqa` that names at least
one ORG code. A bare `# noqa` and a `# noqa: E501` belong to other tools as well; they
are honoured (the bare one) or ignored (the other), and never reported.

With `require-suppression-reason = true`, a directive without `-- reason` suppresses
nothing: an `orgscope:` or ORG-naming `noqa` one is reported as ORG100 (so the person who
wrote it learns why their finding came back), a bare `# noqa` simply lets the finding
through.

ORG100 (unused-suppression) reports each of our directives that suppressed nothing. A
directive is judged only against the rules that ran on its file: a code that was not
selected, is opt-in, or is in `per-file-ignores` for the file might be in use on a full
run, so it is left alone; a blanket `# orgscope: ignore` and a `system-context` are judged
only when every default rule ran. Files that could not be parsed are not judged at all.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from orgscope_lint.facts import Directive, FileFacts, FunctionFact
from orgscope_lint.findings import Finding

UNUSED_SUPPRESSION = "ORG100"

_CODES = r"[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*"
_REASON = r"(?:\s*--\s*(?P<reason>.*\S))?"
_ORGSCOPE = re.compile(
    rf"#\s*orgscope:\s*(?P<kind>ignore|system-context)(?:\[(?P<codes>{_CODES})\])?{_REASON}",
    re.IGNORECASE,
)
_NOQA = re.compile(rf"#\s*noqa(?::\s*(?P<codes>{_CODES}))?{_REASON}", re.IGNORECASE)
# A cheap test that a file may hold a directive before its comments are tokenized.
_MAYBE = re.compile(r"orgscope:|noqa", re.IGNORECASE)
# Codes that speak about the file or the tool, not about a function's tenant logic.
_NOT_TENANT_RULES = frozenset({"ORG000", UNUSED_SUPPRESSION})


# -- parsing ----------------------------------------------------------------------------


def parse_directives(text: str) -> tuple[Directive, ...]:
    if not _MAYBE.search(text):
        return ()
    found = []
    for number, column, comment in _comments(text):
        directive = _parse_comment(number, column, comment)
        if directive is not None:
            found.append(directive)
    return tuple(found)


def _comments(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, 0-based column, text) of each comment that may be a directive.

    Real comments only: a docstring that shows `# noqa: ORG001` as an example is no
    directive (and must never be reported as an unused one).
    """
    candidates = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if "#" in line and _MAYBE.search(line)
    ]
    if not candidates:
        return
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        # Unparseable source (reported as ORG000): the line is the best guess left.
        for number, line in candidates:
            yield number, line.index("#"), line[line.index("#") :]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT and _MAYBE.search(token.string):
            yield token.start[0], token.start[1], token.string


def _parse_comment(number: int, column: int, comment: str) -> Directive | None:
    match = _ORGSCOPE.search(comment)
    if match:
        return _directive(number, column, match, match.group("kind").lower())
    match = _NOQA.search(comment)
    if match is None:
        return None
    directive = _directive(number, column, match, "ignore")
    if directive.codes and not _org_codes(directive.codes):
        return None  # another tool's (E501 and the like): it cannot match one of our codes
    return directive


def _directive(number: int, column: int, match: re.Match[str], kind: str) -> Directive:
    codes = match.group("codes") or ""
    return Directive(
        line=number,
        kind=kind,
        codes=tuple(c.strip().upper() for c in codes.split(",") if c.strip()),
        reason=match.group("reason"),
        column=column + match.start() + 1,
        text=match.group(0),
    )


def _org_codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(code for code in codes if code.startswith("ORG"))


def is_noqa(directive: Directive) -> bool:
    return directive.text.lstrip("#").lstrip().lower().startswith("noqa")


def is_ours(directive: Directive) -> bool:
    """Whether ORG100 may speak about it: not a bare `# noqa`, which other tools share."""
    return not is_noqa(directive) or bool(directive.codes)


# -- applying ---------------------------------------------------------------------------


def apply_suppressions(
    findings: Iterable[Finding],
    facts: FileFacts,
    *,
    ran: Collection[str] = (),
    require_reason: bool = False,
    platform_guards: Mapping[str, str] | None = None,
    enqueued: Collection[str] = (),
    inherited: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Mark the findings a directive covers as suppressed (they stay, for SARIF).

    `ran` holds the codes of the rules that ran on this file; when ORG100 is among them,
    one ORG100 finding is added for each directive that suppressed nothing.
    """
    ledger = _Ledger.of(facts, require_reason, platform_guards or {}, enqueued, inherited or {})
    result = [ledger.apply(finding) for finding in findings]
    if UNUSED_SUPPRESSION in ran and facts.error is None:
        from orgscope_lint.rules.org100_unused_suppression import UnusedSuppression

        rule = UnusedSuppression()
        for directive, message in unused_directives(facts, ledger, ran, require_reason):
            report = rule.report(facts, directive, message)
            # Only a directive that names ORG100 silences it: a blanket one would
            # otherwise hide the very report that it is unused.
            if UNUSED_SUPPRESSION in directive.codes and ledger.honoured(directive):
                report = report.suppress(directive.reason)
            result.append(report)
    return result


def _dependency_context(line: int, dependency: str) -> Directive:
    return Directive(
        line=line, kind="system-context", codes=(), reason=f"route depends on {dependency}"
    )


def detected_reason(
    fn: FunctionFact, platform_guards: Mapping[str, str], enqueued: Collection[str]
) -> str | None:
    if fn.system_context and not set(fn.tasks) & set(enqueued):
        # A task the project's own code enqueues runs on a request's behalf, on the
        # arguments the caller proof follows: not a scheduled job.
        return fn.system_context
    guard = next((name for name in fn.depends_on if name in platform_guards), None)
    if guard is None:
        return None
    return f"route depends on `{guard}`, which {platform_guards[guard]}"


SYSTEM_CONTEXT = "system context: "


def _detected_context(line: int, reason: str) -> Directive:
    return Directive(line=line, kind="system-context", codes=(), reason=SYSTEM_CONTEXT + reason)


@dataclass
class _Ledger:
    """Which directive covers which line, and which codes each one has suppressed."""

    on_line: dict[int, Directive]
    contexts: list[tuple[int, int, Directive]]
    require_reason: bool
    used: dict[Directive, set[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        facts: FileFacts,
        require_reason: bool,
        platform_guards: Mapping[str, str],
        enqueued: Collection[str] = (),
        inherited: Mapping[str, str] | None = None,
    ) -> _Ledger:
        defs = {fn.span.line: fn.end_line for fn in facts.functions}
        return cls(
            on_line={d.line: d for d in facts.directives if d.kind == "ignore"},
            contexts=[
                (d.line, defs[d.line], d)
                for d in facts.directives
                if d.kind == "system-context" and d.line in defs
            ]
            + [
                # A route guarded by a configured system dependency: the same exemption.
                (fn.span.line, fn.end_line, _dependency_context(fn.span.line, fn.system_dependency))
                for fn in facts.functions
                if fn.system_dependency
            ]
            + [
                # System context the code itself shows: a verified webhook, a job, a
                # route behind a platform-role guard.
                (fn.span.line, fn.end_line, _detected_context(fn.span.line, reason))
                for fn in facts.functions
                if (reason := detected_reason(fn, platform_guards, enqueued))
            ]
            + [
                # Called only from system code, in this file or another.
                (fn.span.line, fn.end_line, _detected_context(fn.span.line, why))
                for fn in facts.functions
                if (why := (inherited or {}).get(fn.qualname))
            ],
            require_reason=require_reason,
        )

    def apply(self, finding: Finding) -> Finding:
        directive = self.on_line.get(finding.line)
        if directive is not None and _covers(directive, finding.code) and self.honoured(directive):
            return self._suppress(finding, directive, directive.reason)
        if finding.code in _NOT_TENANT_RULES:
            return finding
        for start, end, context in self.contexts:
            if start <= finding.line <= end and self.honoured(context):
                return self._suppress(finding, context, context.reason or "system-context")
        return finding

    def honoured(self, directive: Directive) -> bool:
        return bool(directive.reason) or not self.require_reason

    def _suppress(self, finding: Finding, directive: Directive, reason: str | None) -> Finding:
        self.used.setdefault(directive, set()).add(finding.code)
        return finding.suppress(reason)


def _covers(directive: Directive, code: str) -> bool:
    return not directive.codes or code in directive.codes


def unused_directives(
    facts: FileFacts, ledger: _Ledger, ran: Collection[str], require_reason: bool
) -> Iterator[tuple[Directive, str]]:
    """Each of our directives that suppressed nothing, with what to tell its author."""
    complete = _every_default_rule_ran(ran)
    for directive in facts.directives:
        if not is_ours(directive):
            continue
        if require_reason and not directive.reason:
            yield directive, _REASON_REQUIRED
            continue
        used = ledger.used.get(directive, set())
        if directive.kind == "system-context":
            message = _unused_context(used, complete)
        else:
            message = _unused_ignore(directive, used, ran, complete)
        if message is not None:
            yield directive, message


_REASON_REQUIRED = (
    "suppression without a reason: `require-suppression-reason` is on, so it suppresses "
    "nothing; add `-- <why this is safe>`"
)


def _unused_ignore(
    directive: Directive, used: set[str], ran: Collection[str], complete: bool
) -> str | None:
    if not directive.codes:
        if used or not complete:
            return None
        return "unused suppression: nothing is reported on this line"
    codes = _org_codes(directive.codes) if is_noqa(directive) else directive.codes
    known = _known_codes()
    unknown = [c for c in codes if c not in known]
    unused = [
        c for c in codes if c in known and c in ran and c not in used and c != UNUSED_SUPPRESSION
    ]
    parts = []
    if unused:
        parts.append(f"unused suppression: no {_listing(unused)} finding on this line")
    if unknown:
        parts.append(f"unknown rule {_listing(unknown)}")
    return "; ".join(parts) or None


def _unused_context(used: set[str], complete: bool) -> str | None:
    # One message whether the comment sits on a `def` line or not: functions with nothing
    # to analyse are left out of the facts, so "not a def line" cannot be told apart
    # from "a function with no finding in it" here, and both suppress nothing.
    if used or not complete:
        return None
    return (
        "unused `system-context`: no tenant rule reports anything in the function whose "
        "`def` line it is on"
    )


def _listing(codes: list[str]) -> str:
    return ", ".join(f"`{code}`" for code in codes)


def _known_codes() -> frozenset[str]:
    from orgscope_lint.rules import RULES_BY_CODE

    return frozenset(RULES_BY_CODE)


def _every_default_rule_ran(ran: Collection[str]) -> bool:
    from orgscope_lint.rules import ALL_RULES

    return all(
        rule.code in ran
        for rule in ALL_RULES
        if not rule.opt_in and rule.code not in _NOT_TENANT_RULES
    )
