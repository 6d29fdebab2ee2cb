"""Facts cached by content hash, so an unchanged file is never parsed twice.

What is cached, and keyed by what
---------------------------------
Only per-file *facts* are cached, never findings. Facts depend on the file's bytes, on
the path shown for it (`FileFacts.path` carries it), on the configuration and on the
code that produced them; findings also depend on the schema and on every other file
(project-wide summaries), and are cheap to recompute from facts. So:

- the *namespace* (one directory) is a hash of the entry format, the tool's version, a
  hash of the package's own source (an edited analysis must not serve stale facts,
  even at an unchanged version number), the Python version (which syntax parses), the
  LibCST version and `Config.fingerprint()`. A changed setting or tool starts afresh.
  The schema fingerprint is left out on purpose: migrations change which tables are
  tenant tables, which rules read from facts on every run, not what a file contains;
  keeping it out means editing a migration does not re-parse the whole project. (Should
  the analysis ever read the schema, its fingerprint belongs in `namespace`.)
- inside it, one entry per *display path*, holding the SHA-256 of the bytes it was
  computed from. A hit needs both to match; an edited file misses and its entry is
  overwritten, so the cache holds one entry per file and does not grow with each edit.
  The display path depends on the working directory: a run from elsewhere misses once
  rather than serve facts that name the file differently.

Storage
-------
One file per entry, sharded by the first two hex digits of its key, written to a
temporary file in the same directory and moved into place with `os.replace`: concurrent
runs never see a half-written entry, and the last writer wins with identical content.
Measured against one SQLite file in WAL mode, a warm run over 2,028 files cost the same
(whole-process CPU within 2 %; the lookups alone, 149 ms here against 123 ms); files
need no lock between concurrent writers, nor a filesystem where WAL's shared memory
works, and a damaged entry spoils only itself.

Entries are pickles, and a cache directory can arrive with an untrusted checkout (a
pull request can add one): they are loaded with an unpickler that only rebuilds the
data classes of `facts` and `findings`, so a crafted entry cannot call anything. An entry
that fails to load for any reason is a miss, and is rewritten.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import importlib
import io
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, is_dataclass
from functools import lru_cache
from pathlib import Path

from orgscope_lint import __version__
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding
from orgscope_lint.schema import Schema

CACHE_DIR_NAME = ".orgscope_cache"
# Bump when the layout or the pickled payload changes shape.
FORMAT = 1
# https://bford.info/cachedir/ : backup tools skip directories holding this file.
CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
CACHEDIR_TAG = (
    f"{CACHEDIR_SIGNATURE}\n"
    "# This file is a cache directory tag created by orgscope-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
CACHEDIR_TAG_NAME = "CACHEDIR.TAG"
# A namespace (tool build + configuration) no run has used for this long is deleted.
UNUSED_FOR = 7 * 24 * 3600
# Modules whose classes an entry may rebuild; nothing else is importable from a pickle.
_SAFE_MODULES = frozenset(
    {
        "orgscope_lint.facts",
        "orgscope_lint.findings",
        "orgscope_lint.schema",
        "orgscope_lint.rls.model",
    }
)


class NotACacheDirectory(Exception):
    """A directory that holds other things and no cache tag: never written to or removed."""


def default_cache_dir(config: Config) -> Path:
    """Beside the configuration file (or in the project root found without one)."""
    return config.root / CACHE_DIR_NAME


@dataclass(frozen=True, slots=True)
class FactsCache:
    """The entries of one namespace. Plain data, so it travels to worker processes."""

    directory: Path

    @classmethod
    def open(cls, root: Path, config: Config) -> FactsCache | None:
        """The cache under `root` for this configuration and build of the tool.

        Returns None, with a warning on stderr, when `root` cannot be used: the run then
        goes on without a cache, exactly as with `--no-cache`.
        """
        try:
            prepare_root(root)
        except NotACacheDirectory as exc:
            _warn(f"{exc}; running without the cache")
            return None
        except OSError as exc:
            _warn(f"cannot create the cache in {root}: {exc.strerror or exc}")
            return None
        directory = root / "facts" / namespace(config)
        _mark_used_and_prune(directory)
        return cls(directory)

    def load(self, shown: str, digest: str) -> FileFacts | None:
        """The facts stored for this path and these bytes, or None (missing or unusable)."""
        try:
            data = self.entry_path(shown).read_bytes()
        except OSError:
            return None
        try:
            stored = _SafeUnpickler(io.BytesIO(data)).load()
        except Exception:  # truncated, garbage, refused class: all just a miss
            return None
        if not (isinstance(stored, tuple) and len(stored) == 3):
            return None
        path, stored_digest, facts = stored
        if path != shown or stored_digest != digest or not isinstance(facts, FileFacts):
            return None
        return facts

    def store(self, shown: str, digest: str, facts: FileFacts) -> None:
        """Best effort: a cache that cannot be written only costs speed."""
        data = pickle.dumps((shown, digest, facts), protocol=pickle.HIGHEST_PROTOCOL)
        entry = self.entry_path(shown)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(entry, data)
        except OSError:
            pass

    def load_schema(self, fingerprint: str) -> Schema | None:
        """The replayed schema for migrations with this fingerprint: sqlglot's parse is
        the largest cost of a warm run otherwise."""
        stored = _read_entry(self._schema_path(fingerprint))
        ok = isinstance(stored, Schema) and stored.fingerprint == fingerprint
        # An entry written before row-level security was replayed lacks it: a miss.
        return stored if ok and getattr(stored, "rls", None) is not None else None

    def store_schema(self, schema: Schema) -> None:
        _write_entry(self._schema_path(schema.fingerprint), schema)

    def load_summaries(self, key: str) -> list[FileFacts] | None:
        """The summary facts of a partial run's context, stored under its stat key."""
        return _list_of(_read_entry(self._beside("summaries") / key), FileFacts)

    def store_summaries(self, key: str, summaries: list[FileFacts]) -> None:
        self._store_latest("summaries", key, summaries)

    def load_findings(self, key: str) -> list[Finding] | None:
        """The findings of an earlier run with exactly these inputs (see engine._run_key)."""
        return _list_of(_read_entry(self._beside("runs") / key), Finding)

    def store_findings(self, key: str, findings: list[Finding]) -> None:
        self._store_latest("runs", key, findings)

    def _store_latest(self, kind: str, key: str, value: object) -> None:
        """One entry of `kind` at a time: the previous ones describe a past state."""
        target = self._beside(kind) / key
        with contextlib.suppress(OSError):
            for old in target.parent.iterdir():
                _unlink_quietly(str(old))
        _write_entry(target, value)

    def _beside(self, kind: str) -> Path:
        """`<cache>/<kind>/<namespace>`: kept apart from the per-file facts entries."""
        return self.directory.parent.parent / kind / self.directory.name

    def _schema_path(self, fingerprint: str) -> Path:
        # Beside the facts namespaces, not in one: a schema does not depend on them.
        return self.directory.parent.parent / "schema" / fingerprint

    def entry_path(self, shown: str) -> Path:
        """Where the entry for this display path lives (whether or not it exists)."""
        key = hashlib.sha256(shown.encode("utf-8", "surrogateescape")).hexdigest()
        return self.directory / key[:2] / key[2:]


def prepare_root(root: Path) -> None:
    """Create the cache directory with its tag and a `.gitignore` that ignores it all.

    An existing directory is adopted only when it is empty or already tagged: pointing
    `--cache-dir` at a source tree by mistake must not drop a `.gitignore` into it.
    """
    if root.is_dir() and not is_cache_dir(root) and not _only_temporary_files(root):
        raise NotACacheDirectory(f"{root} is not empty and has no {CACHEDIR_TAG_NAME}")
    root.mkdir(parents=True, exist_ok=True)
    for name, text in ((CACHEDIR_TAG_NAME, CACHEDIR_TAG), (".gitignore", "*\n")):
        target = root / name
        if not target.is_file():
            write_atomically(target, text.encode("ascii"))


def remove_cache(root: Path) -> bool:
    """Delete the cache directory; False when there was none.

    Refuses (NotACacheDirectory) a directory without the tag: `clean --cache-dir` given
    the wrong path must not delete a source tree.
    """
    if not root.exists():
        return False
    if not is_cache_dir(root):
        raise NotACacheDirectory(f"{root} has no {CACHEDIR_TAG_NAME}: not removing it")
    shutil.rmtree(root)
    return True


def is_cache_dir(root: Path) -> bool:
    """Whether `root` carries the cache directory tag (so removing it is safe)."""
    try:
        with open(root / CACHEDIR_TAG_NAME, "rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE.encode("ascii")
    except OSError:
        return False


def _only_temporary_files(root: Path) -> bool:
    # A concurrent run that just created the directory may be writing its tag.
    return all(entry.name.startswith(".tmp-") for entry in root.iterdir())


def _mark_used_and_prune(directory: Path) -> None:
    """Date the namespace in use, and delete those no run has used for a while.

    Every tool upgrade or configuration change starts a new namespace; without this the
    old ones would stay forever. Best effort: a concurrent run may be pruning too.
    """
    now = time.time()
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        os.utime(directory, (now, now))
        for sibling in directory.parent.iterdir():
            if sibling != directory and sibling.stat().st_mtime < now - UNUSED_FOR:
                shutil.rmtree(sibling, ignore_errors=True)


def write_atomically(target: Path, data: bytes) -> None:
    """Readers see the old content or the new one, never a part of it."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def namespace(config: Config) -> str:
    """Everything facts depend on besides the file itself, as one short hash."""
    parts = (
        f"format={FORMAT}",
        f"version={__version__}",
        f"code={_code_digest()}",
        f"python={sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
        f"libcst={_libcst_version()}",
        config.fingerprint(),
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A hash of the package's own modules: the analysis is part of what facts depend on."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in sorted(package.rglob("*.py")):
        digest.update(module.relative_to(package).as_posix().encode("utf-8") + b"\0")
        try:
            digest.update(module.read_bytes())
        except OSError:
            digest.update(b"unreadable")
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:  # pragma: no cover - vendored or unusual installs
        return "unknown"


class _SafeUnpickler(pickle.Unpickler):
    """Rebuilds only our plain data classes and enums; any other global is refused.

    Functions are refused too: pickle can call whatever it is allowed to import.
    """

    def find_class(self, module: str, name: str) -> type:
        if module in _SAFE_MODULES:
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and (is_dataclass(found) or issubclass(found, enum.Enum)):
                return found
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from the cache")


def _read_entry(path: Path) -> object | None:
    """An entry's value, or None for anything missing, truncated or refused: a miss."""
    try:
        return _SafeUnpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:
        return None


def _write_entry(path: Path, value: object) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass


def _list_of(stored: object, kind: type) -> list | None:
    if isinstance(stored, list) and all(isinstance(item, kind) for item in stored):
        return stored
    return None


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _warn(message: str) -> None:
    print(f"orgscope-lint: warning: {message}", file=sys.stderr)
