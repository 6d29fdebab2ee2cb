"""The rest of the project, as a partial run needs it: every file's summary facts,
indexed by display path and stamped with the size and mtime they were computed from.

A partial run (a pre-commit hook's few files, the changed files of a pull request)
reports on its files only, yet needs every other file's summaries (scoping helpers,
dict builders). Any run that analyses files leaves their summaries in one index entry,
so the next partial run, even the first one after a full `check .`, reads one entry and
stats the project's files instead of reading, hashing and unpickling each of them. A
file whose stamp no longer matches is hashed and its summary kept if its bytes are
those indexed (a fresh checkout dates every file anew); only a changed file is
analysed again (from the facts cache when its bytes are known).

A run that changes a few entries (a hook re-stamping the files edited since the full
run) writes them to an *overlay* beside the index instead of rewriting the index: on
a 400k-line project the index is 9.5 MB (its equal leaf records shared, see
`sharing`), and pickling and writing it again cost more than the rest of the hook
run. Past one changed entry in `COMPACT_EVERY`, the index is rewritten whole and the
overlay dropped. Both are signed cache entries (`cache`):
a planted or damaged one is refused, its files' summaries then come from their bytes.

A stamp is taken before the file is read, and a file changed in the last two seconds is
never stamped (its entry is then checked by its bytes): it may change again within the
clock's granularity keeping its size and mtime (git's "racy" case), and a stale summary
would hide a leak.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orgscope_lint.facts import FileFacts

if TYPE_CHECKING:
    from orgscope_lint.cache import FactsCache

# (mtime in nanoseconds, size in bytes)
Stamp = tuple[int, int]
# display path -> (stamp or None, SHA-256 of the bytes, summary facts)
Index = dict[str, tuple[Stamp | None, str, FileFacts]]

RACY_NS = 2_000_000_000
# The overlay of changed entries is folded into the index once it holds more than one
# entry in this many: reading it costs little until then, rewriting the index a lot (on
# a 100k-line project of 375 files, a pull request of 10 files paid about a second to
# rewrite it when the overlay was capped at one entry in 50).
COMPACT_EVERY = 10

# Facts for (path, display path) pairs; fills the digests of what it read, by display path.
Collect = Callable[[Sequence[tuple[Path, str]], dict[str, str]], list[FileFacts]]


def stamps(
    files: Iterable[tuple[Path, str]], taken: Mapping[str, Stamp] | None = None
) -> dict[str, Stamp]:
    """The stamp of each file that can be trusted, by display path; those in `taken`
    (earlier in this run, before the file was read) are not taken again."""
    recent = time.time_ns() - RACY_NS
    found: dict[str, Stamp] = {}
    for path, shown in files:
        if taken is not None and shown in taken:
            found[shown] = taken[shown]
            continue
        try:
            stat = os.stat(path)
        except OSError:
            continue  # analysed for real, never indexed
        if stat.st_mtime_ns <= recent:
            found[shown] = (stat.st_mtime_ns, stat.st_size)
    return found


@dataclass
class Lookup:
    """The rest of the project as `look_up` found it, for `rest_summaries`."""

    layers: tuple[Index, Index] | None  # the stored index and its overlay, if usable
    rest_stamps: dict[str, Stamp]
    updated: Index  # the entries of the rest still valid, restamped where needed
    fresh: list[FileFacts]  # summaries of the rest not in the index (or changed)
    digests: dict[str, str]  # of the files behind `fresh`


def look_up(
    rest: Sequence[tuple[Path, str]],
    taken: dict[str, Stamp],
    store: tuple[FactsCache, str] | None,
    collect: Collect,
    summarise: Callable[[FileFacts], FileFacts],
) -> Lookup:
    """The summaries of the `rest` of the project, first half: what needs none of the
    checked files (a partial run looks this up while they are analysed). From the index
    where a file's stamp is unchanged, or else its bytes (a fresh checkout dates every
    file anew); through `collect` otherwise. `store` is the cache and the index's key
    there; `taken`, the stamps this run took before reading its files (those of the
    rest are taken now when missing)."""
    layers = store[0].load_context(store[1]) if store is not None else None
    base, overlay = layers if layers is not None else ({}, {})
    index: Index = {**base, **overlay} if overlay else base
    rest_stamps = stamps(rest, taken) if store is not None else {}
    updated: Index = {}
    misses: list[tuple[Path, str]] = []
    for path, shown in rest:
        entry = index.get(shown)
        stamp = rest_stamps.get(shown)
        if entry is not None and stamp is not None and entry[0] == stamp:
            updated[shown] = entry
        elif entry is not None and file_digest(path) == entry[1]:
            updated[shown] = (stamp, entry[1], entry[2])
        else:
            misses.append((path, shown))
    digests: dict[str, str] = {}
    fresh = [summarise(facts) for facts in collect(misses, digests)] if misses else []
    return Lookup(layers, rest_stamps, updated, fresh, digests)


def rest_summaries(
    found: Lookup,
    rest: Sequence[tuple[Path, str]],
    checked: Sequence[FileFacts],
    known: tuple[dict[str, Stamp], dict[str, str]],
    store: tuple[FactsCache, str] | None,
    summarise: Callable[[FileFacts], FileFacts],
) -> list[FileFacts]:
    """The summaries of the `rest`, second half, once the `checked` files' facts are
    known: the index (or its overlay, see `persist`) then holds exactly the files of
    this run (`rest` and the `checked` ones). `known`: the stamps this run took before
    reading its files and the digests of the checked files."""
    updated, fresh, layers = found.updated, found.fresh, found.layers
    # In the project's order, as if every file had been analysed: the join keeps the
    # first definition of a name in places.
    by_path = {facts.path: facts for facts in fresh}
    summaries = [
        updated[shown][2] if shown in updated else by_path[shown]
        for _, shown in rest
        if shown in updated or shown in by_path
    ]
    if store is not None:
        base, overlay = layers if layers is not None else ({}, {})
        _add(updated, fresh, found.rest_stamps, found.digests)
        _add(updated, [summarise(facts) for facts in checked], *known)
        persist(store, base if layers is not None else None, overlay, updated)
    return summaries


def persist(
    store: tuple[FactsCache, str], base: Index | None, overlay: Index, updated: Index
) -> None:
    """Leave `updated` behind as the stored index (`base`) and its overlay: the entries
    that differ from `base` go to the overlay while they are at most one in
    `COMPACT_EVERY` of the index (a hook run that re-stamped a few files), otherwise
    the index is rewritten whole and the overlay dropped. Nothing is written when
    nothing changed."""
    cache, key = store
    if base is None:
        cache.store_context(key, updated)
        cache.store_digests(key, _keys_of(updated))
        return
    base_keys = _keys_of(base)
    changed = {
        shown: entry
        for shown, entry in updated.items()
        if base_keys.get(shown) != (entry[0], entry[1])
    }
    # Files gone from the project only weigh in the decision: their entries are never
    # looked up again, and the next rewrite leaves them out.
    gone = len(base_keys.keys() - updated.keys())
    if len(changed) + gone > len(updated) // COMPACT_EVERY:
        cache.store_context(key, updated)
    elif _keys_of(changed) != _keys_of(overlay):
        cache.store_context_overlay(key, changed)
    else:
        return
    # What a later run needs to tell whether the project is as a complete run saw it
    # (`engine._state_key`), without unpickling the summaries.
    cache.store_digests(key, _keys_of(updated))


def file_digest(path: Path) -> str | None:
    """The SHA-256 of the file's bytes, as the facts cache keys them; None if unreadable."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _add(
    index: Index, summaries: Iterable[FileFacts], known: dict[str, Stamp], digests: dict[str, str]
) -> None:
    for facts in summaries:
        digest = digests.get(facts.path)
        if digest is not None and facts.error is None:
            index[facts.path] = (known.get(facts.path), digest, facts)


def _keys_of(index: Index) -> dict[str, tuple[Stamp | None, str]]:
    return {shown: (stamp, digest) for shown, (stamp, digest, _) in index.items()}
