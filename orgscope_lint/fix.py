"""`--fix`: the few edits that are provably safe, made with LibCST so formatting stays.

Only where the analysis found exactly one variable holding the principal's tenant id:
add `"<key>": <var>` to a dict literal filter or record (ORG001, ORG003), add
`<param>=<var>` to a scoped helper call (ORG004), and, in a query-builder chain written
as one expression, add `.eq("<key>", <var>)` or the key to its record literal
(`fix_builder`). Each file is rewritten atomically, and only if the result parses; a
second run finds nothing left to fix.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import os
import re
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from orgscope_lint import fix_builder
from orgscope_lint.analysis.parsing import parse_parsed_module
from orgscope_lint.analysis.slicing import statement_lines
from orgscope_lint.findings import Finding

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Edit:
    line: int
    column: int
    kind: str  # "add-key" | "add-argument" | "add-filter" | "add-record-key"
    name: str  # the key or the keyword
    var: str


def edits_for(findings: Iterable[Finding]) -> dict[str, list[Edit]]:
    by_path: dict[str, list[Edit]] = defaultdict(list)
    for finding in findings:
        fix = finding.fix
        if finding.suppressed or not fix:
            continue
        by_path[finding.path].append(
            Edit(finding.line, finding.column, str(fix["kind"]), str(fix["name"]), str(fix["var"]))
        )
    return by_path


def fixed_text(source: str, edits: list[Edit]) -> str | None:
    """The edited source, or None when nothing could be applied safely."""
    applied = apply_edits(source, edits)
    return applied[0] if applied else None


def apply_edits(source: str, edits: list[Edit]) -> tuple[str, int] | None:
    """The edited source and how many edits it holds, or None when nothing could be
    applied safely."""
    done = _edit(source, edits, record=False)
    return (done[0], done[1].applied) if done else None


@dataclass(frozen=True)
class Change:
    """One edit `--fix` makes, as the code of the call it changes, before and after
    (parentheses around the call left out), and where that code starts."""

    edit: Edit
    line: int  # 1-based
    column: int  # 0-based, in characters
    before: str
    after: str


def changes(
    source: str,
    edits: list[Edit],
    unparsed: Lines | None = None,
    statements: Lines | None = None,
) -> list[Change]:
    """Each edit `--fix` would make in `source`, on its own; none when `--fix` would
    leave the file as it is. Both or neither of `unparsed` and `statements`: the
    analysis parsed `source` with `ast`, whose top-level statements stand on
    `statements` (`FileFacts.statements`), and LibCST read all of it but those on
    `unparsed` (`FileFacts.unparsed`), which spares parsing it whole again."""
    done = _edit(source, edits, record=True, unparsed=unparsed, statements=statements)
    return done[1].changes if done else []


@dataclass
class _Outcome:
    """What the edits of one file came to: how many were made, and (when recorded) each
    one's change."""

    applied: int = 0
    changes: list[Change] = field(default_factory=list)
    # Edited one top-level statement at a time: each statement's lines and offsets, the
    # lines of those given to LibCST, and the new code of those it changed.
    statements: list[_Span] | None = None
    parsed: set[tuple[int, int]] = field(default_factory=set)
    rewritten: list[str] = field(default_factory=list)


_Edited = tuple[str, _Outcome] | None
_Span = tuple[int, int, int, int]  # first and last line, start and end offset
Lines = tuple[tuple[int, int], ...]


class _Unsplittable(Exception):
    """The file cannot be edited one statement at a time: it is edited as a whole."""


def _edit(
    source: str,
    edits: list[Edit],
    *,
    record: bool,
    unparsed: Lines | None = None,
    statements: Lines | None = None,
) -> _Edited:
    try:
        edited = _edited_statements(source, edits, record=record, lines=statements)
    except _Unsplittable:
        edited = _edit_whole(source, edits, record=record)
    if edited is None:
        return None
    result, outcome = edited
    if not outcome.applied or result == source:
        return None
    # `ast` parsed `source` (the analysis did): it parses the result when it parses the
    # edited statements, by the same argument as `_parses_by_parts`.
    by_parts = statements is not None and _split_plainly(source, outcome)
    try:  # never leave a file that does not parse
        ast.parse("".join(map(_ended, outcome.rewritten)) if by_parts else result)
        if not (by_parts and _parses_by_parts(source, outcome, unparsed)):
            parse_parsed_module(result)
    except (SyntaxError, cst.ParserSyntaxError):
        return None
    return result, outcome


def _edit_whole(source: str, edits: list[Edit], *, record: bool) -> _Edited:
    try:
        # A tree parsed here and used once: the defensive deep copy would only cost time.
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        return None
    editor = _Editor({(e.line, e.column - 1): e for e in edits})
    editor.module = wrapper.module if record else None
    try:
        result = _visit(wrapper, editor).code
    except cst.CSTValidationError:  # an edit LibCST itself refuses to build
        return None
    return _keep_ending(source, result), _Outcome(editor.applied, editor.changes)


def _keep_ending(source: str, result: str) -> str:
    # LibCST drops the final line break of a file whose lines end in a lone CR.
    ending = source[len(source.rstrip("\r\n")) :]
    if not result.endswith(ending):
        result = result.rstrip("\r\n") + ending
    return result


def _edited_statements(
    source: str, edits: list[Edit], *, record: bool, lines: Lines | None = None
) -> _Edited:
    """The file edited one top-level statement at a time: only the statements holding an
    edit are given to LibCST (the rest of the file is what its code would render
    anyway), each parsed on its own with its lines counted from 1. Whether the whole
    result parses is still checked by `_edit`. Raises `_Unsplittable` when the file
    cannot be split that way (the `ast` refuses it, two statements share a line, a
    statement does not parse on its own). `lines`: the top-level statements' lines, as
    `ast` found them in `source` (else it parses `source` to find them)."""
    statements = _spans(source, _statement_lines(source) if lines is None else lines)
    pieces: list[str] = []
    outcome = _Outcome(statements=statements)
    done = 0
    for first, last, start, end in statements:
        mine = {replace(e, line=e.line - first + 1): e for e in edits if first <= e.line <= last}
        if not mine:
            continue
        segment = source[start:end]
        try:  # a part of the code `_statements` had `ast` accept
            wrapper = MetadataWrapper(parse_parsed_module(segment), unsafe_skip_copy=True)
        except cst.ParserSyntaxError as error:
            raise _Unsplittable from error
        outcome.parsed.add((first, last))
        editor = _Editor({(e.line, e.column - 1): e for e in mine})
        editor.module = wrapper.module if record else None
        try:
            module = _visit(wrapper, editor)
        except cst.CSTValidationError:  # an edit LibCST itself refuses to build
            return None
        if editor.applied:
            outcome.rewritten.append(_keep_ending(segment, module.code))
            pieces += [source[done:start], outcome.rewritten[-1]]
            done = end
        outcome.applied += editor.applied
        outcome.changes += [
            Change(mine[c.edit], c.line + first - 1, c.column, c.before, c.after)
            for c in editor.changes
        ]
    pieces.append(source[done:])
    return "".join(pieces), outcome


# Lines holding no code: what may stand between two top-level statements for
# `_parses_by_parts` to know the file parses when they do (no `\f`, no `\`).
_PLAIN_LINES = re.compile(r"(?:[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n))*[ \t]*(?:#[^\r\n]*)?")


def _split_plainly(source: str, outcome: _Outcome) -> bool:
    """Whether the file was edited one top-level statement at a time with nothing but
    blank and comment lines between its statements: then a parser reads the edited
    file when it reads each statement, since a top-level statement starts with no
    bracket, string or block open, so its parse does not depend on the others. Not
    with the one future import that changes the grammar (`<>` for `!=`)."""
    statements = outcome.statements
    if statements is None or "barry_as_FLUFL" in source:
        return False
    gaps = zip(
        [0] + [end for *_, end in statements],
        [s for _, _, s, _ in statements] + [len(source)],
        strict=True,
    )
    return all(_PLAIN_LINES.fullmatch(source, done, start) for done, start in gaps)


def _parses_by_parts(source: str, outcome: _Outcome, unparsed: Lines | None) -> bool:
    """Whether LibCST is known to read the edited file without parsing all of it, split
    plainly (`_split_plainly`). `unparsed`: the analysis gave LibCST every top-level
    statement of `source` but these (`FileFacts.unparsed`), and it read them. Then
    LibCST reads the edited file when it reads those it was not given and the new code
    of the edited ones."""
    statements = outcome.statements
    if unparsed is None or statements is None:
        return False
    lines = {(first, last) for first, last, _, _ in statements}
    if not lines.issuperset(unparsed):
        return False
    rest = [
        source[start:end]
        for first, last, start, end in statements
        if (first, last) in unparsed and (first, last) not in outcome.parsed
    ]
    try:
        for part in (rest, outcome.rewritten):
            if part:
                parse_parsed_module("".join(_ended(piece) for piece in part))
    except cst.ParserSyntaxError:
        return False
    return True


def _ended(piece: str) -> str:
    return piece if piece.endswith(("\n", "\r")) else piece + "\n"


def _visit(wrapper: MetadataWrapper, editor: _Editor) -> cst.Module:
    """`wrapper.visit(editor)`. LibCST resolves metadata with a traversal of the whole
    tree for its batchable providers, even when there are none (PositionProvider is
    not one): a fifth of an edit's time. The positions are computed as it would compute
    them and stored where it looks first; where its internals differ, it does it all."""
    with contextlib.suppress(AttributeError):
        if PositionProvider not in wrapper._metadata:
            wrapper._metadata[PositionProvider] = PositionProvider()._gen(wrapper)
    return wrapper.visit(editor)


def _statement_lines(source: str) -> Lines:
    """The first and last line of each top-level statement."""
    try:
        with warnings.catch_warnings():  # its warnings are the analysis's to give
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError) as error:
        raise _Unsplittable from error
    return tuple(map(statement_lines, tree.body))


def _spans(source: str, lines: Lines) -> list[_Span]:
    """The first and last line, start and end offset of each top-level statement."""
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(source)]
    spans: list[_Span] = []
    previous_end = 0
    for first, last in lines:
        if first <= previous_end:
            raise _Unsplittable  # two statements share a line (`a = 1; b = f(a)`)
        previous_end = last
        end = starts[last] if last < len(starts) else len(source)
        spans.append((first, last, starts[first - 1], end))
    return spans


def write_atomically(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace the file's content, keeping what makes it the same file: a symbolic link
    stays a link (its target is written), a file with other hard links is rewritten in
    place (a rename would detach it from them), owner and mode are kept where allowed."""
    target = Path(os.path.realpath(path))
    info = target.stat()
    data = text.encode(encoding)
    if info.st_nlink > 1:
        with open(target, "r+b") as handle:
            handle.write(data)
            handle.truncate()
        return
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, info.st_mode & 0o7777)
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temp, info.st_uid, info.st_gid)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


class _Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: dict[tuple[int, int], Edit]) -> None:
        super().__init__()
        # A chain's edit is keyed by its `.table(` call but made on the call that runs it.
        self.edits = {at: e for at, e in edits.items() if e.kind not in fix_builder.KINDS}
        self.chains = {at: e for at, e in edits.items() if e.kind in fix_builder.KINDS}
        self.applied = 0
        self.module: cst.Module | None = None  # set: record each change (`changes`)
        self.changes: list[Change] = []
        self._indents: list[str] = []  # the enclosing blocks' indents, as codegen emits them
        self._lines = {line for line, _ in edits}

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        """Only a line of statements that spans an edit's line can hold its call (a
        chain's `.table(` call and the call that runs it are one expression): the
        others are left as they are, unvisited."""
        where = self.get_metadata(PositionProvider, node)
        return any(where.start.line <= line <= where.end.line for line in self._lines)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self.module is not None:
            self._indents.append(self.module.default_indent if node.indent is None else node.indent)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.BaseSuite:
        if self.module is not None:
            self._indents.pop()
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        edit = None
        if self.chains and (chain_start := fix_builder.chain_start(original)) is not None:
            at = self.get_metadata(PositionProvider, chain_start).start
            edit = self.chains.get((at.line, at.column))
        if edit is None:
            start = self.get_metadata(PositionProvider, original).start
            edit = self.edits.get((start.line, start.column))
        if edit is None:
            return updated
        changed = _apply(updated, edit)
        if changed is not updated:
            self.applied += 1
            if self.module is not None:
                self._record(original, edit)
        return changed

    def _record(self, original: cst.Call, edit: Edit) -> None:
        """This edit alone, on the call as written (another edit may sit inside it)."""
        assert self.module is not None
        start = self.get_metadata(PositionProvider, original).start
        bare = original.with_changes(lpar=[], rpar=[])
        after = _apply(bare, edit)
        before_code, after_code = (
            _code_in_place(self.module, n, self._indents) for n in (bare, after)
        )
        if before_code is not None and after_code is not None and before_code != after_code:
            self.changes.append(Change(edit, start.line, start.column, before_code, after_code))


def _code_in_place(module: cst.Module, node: cst.CSTNode, indents: list[str]) -> str | None:
    """The node's code as it reads inside its blocks: a line it continues inside brackets
    starts with the blocks' indentation, which `Module.code_for_node` leaves out. LibCST
    offers no public way to say so; None if its internals ever change (then the change
    is not described, and nothing else is affected)."""
    try:
        from libcst._nodes.internal import CodegenState

        state = CodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            indent_tokens=list(indents),
        )
        node._codegen(state)
    except (ImportError, AttributeError, TypeError):
        return None
    return "".join(state.tokens)


def _apply(call: cst.Call, edit: Edit) -> cst.Call:
    if edit.kind in fix_builder.KINDS:
        return fix_builder.scope_chain(call, edit.kind, edit.name, edit.var, _dict_with_key)
    return _add_key(call, edit) if edit.kind == "add-key" else _add_argument(call, edit)


def _add_key(call: cst.Call, edit: Edit) -> cst.Call:
    for index, arg in enumerate(call.args):
        if isinstance(arg.value, cst.Dict) and (index > 0 or arg.keyword is not None):
            new_dict = _dict_with_key(arg.value, edit.name, edit.var)
            args = list(call.args)
            args[index] = arg.with_changes(value=new_dict)
            return call.with_changes(args=args)
    return call


def _dict_with_key(d: cst.Dict, key: str, var: str) -> cst.Dict:
    element = cst.DictElement(
        cst.SimpleString(f'"{key}"'),
        cst.Name(var),
        whitespace_before_colon=cst.SimpleWhitespace(""),
        whitespace_after_colon=cst.SimpleWhitespace(" "),
    )
    return d.with_changes(elements=_append(list(d.elements), element, d.lbrace.whitespace_after))


def _add_argument(call: cst.Call, edit: Edit) -> cst.Call:
    if any(a.keyword is not None and a.keyword.value == edit.name for a in call.args):
        return call
    argument = cst.Arg(
        value=cst.Name(edit.var),
        keyword=cst.Name(edit.name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    return call.with_changes(args=_append(list(call.args), argument, call.whitespace_before_args))


def _append(items: list, new, opening_whitespace) -> list:
    """Append keeping the layout: the new item takes the last one's trailing comma (and
    line break), and the last one takes the separator used between items."""
    if not items:
        return [new]
    last = items[-1]
    if isinstance(last.comma, cst.Comma):
        separator = items[-2].comma if len(items) > 1 else None
        if not isinstance(separator, cst.Comma):
            separator = cst.Comma(whitespace_after=_indent_of(opening_whitespace))
        return [*items[:-1], last.with_changes(comma=separator), new.with_changes(comma=last.comma)]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [*items[:-1], last.with_changes(comma=comma), new]


def _indent_of(whitespace) -> cst.BaseParenthesizableWhitespace:
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace
    return cst.SimpleWhitespace(" ")


@dataclass(frozen=True)
class FixResult:
    edits: int  # edits applied (or, in a dry run, that would be)
    diffs: tuple[str, ...]  # one unified diff per changed file


def fix_files(findings: Iterable[Finding], cwd: Path, *, dry_run: bool) -> FixResult:
    """Apply every offered fix, file by file; a file that cannot be fixed safely is
    left exactly as it was."""
    from orgscope_lint.sources import SourceText, read_source

    applied, diffs = 0, []
    for shown, edits in sorted(edits_for(findings).items()):
        path = cwd / shown
        source = read_source(path)
        if not isinstance(source, SourceText):
            continue
        outcome = apply_edits(source.text, edits)
        if outcome is None:
            continue
        new, count = outcome
        applied += count
        diffs.append(unified_diff(shown, source.text, new))
        if not dry_run:
            encoding = "utf-8" if source.encoding == "utf-8-sig" else source.encoding
            bom = "\ufeff" if source.encoding == "utf-8-sig" else ""
            write_atomically(path, bom + new, encoding)
    return FixResult(applied, tuple(diffs))
