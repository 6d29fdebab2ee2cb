"""Facts cached by content hash, so an unchanged file is never parsed twice.

What is cached, and keyed by what
---------------------------------
Mostly per-file *facts*. Facts depend on the file's bytes, on the path shown for it
(`FileFacts.path` carries it), on the configuration and on the code that produced
them; findings also depend on the schema and on every other file (project-wide
summaries), so they are kept only for a complete run, keyed by every file's digest
(`engine._state_of`). The other entries (the replayed schema, row-level-security
judgements, the summary index and its overlay, fix edits) are listed in
`docs/architecture.md`; all of them are signed and loaded as below. For facts:

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

Trust
-----
A cache directory can arrive with an untrusted checkout (a pull request can commit one,
or influence what a CI cache restores), so nothing in it is believed unless this user's
runs wrote it:

- every entry is signed: HMAC-SHA256 over the tool's version and code digest, the
  entry's place in the cache and its payload, with a random key created for this cache
  directory and kept outside it and outside the project, in the user's own cache
  directory (`$XDG_CACHE_HOME/orgscope-lint/keys`, else `~/.cache/...`, mode 0600). A
  planted, copied, bit-flipped or truncated entry, or one written by another version of
  the tool, fails the check and is a miss: the file is analysed and its entry rewritten;
- files are opened without following symbolic links and without blocking, only when
  they are regular files, and read up to a bound: a FIFO, a device or a link to
  `/dev/zero` is a miss, never a hang;
- a signed payload is still loaded with an unpickler that only rebuilds the data
  classes of `facts`, `findings` and `schema`, so even a stolen key cannot make an entry
  call anything;
- the default cache lives in the project root (`.orgscope_cache`), is never a symbolic
  link, and is never written outside the directory it was given.

A key that cannot be kept (a read-only home, a key directory inside the project) turns
the cache off for the run, with a warning.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import hashlib
import hmac
import importlib
import io
import os
import pickle
import re
import secrets
import shutil
import stat
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
from orgscope_lint.rls.model import Writer
from orgscope_lint.schema import Schema
from orgscope_lint.sharing import shared

CACHE_DIR_NAME = ".orgscope_cache"
# `__version__ = version = '1.8.6'` in a generated `_version.py`.
_VERSION_LINE = re.compile(r"""^__version__\s*=\s*(?:version\s*=\s*)?['"]([^'"]+)['"]""", re.M)
# Bump when the layout or the pickled payload changes shape.
FORMAT = 2
# The first bytes of every entry, then its 32-byte signature, then the pickled payload.
ENTRY_MAGIC = b"OSLCACHE" + FORMAT.to_bytes(2, "big")
SIGNATURE_BYTES = 32
# No entry is read past this: the facts of the largest file analysed are far smaller.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
KEY_BYTES = 32
# Payloads this large (a project's summary index) are kept out of the collector's walks.
FREEZE_ABOVE_BYTES = 1024 * 1024
# Where the cache goes when neither --cache-dir nor the configuration says.
CACHE_DIR_ENV = "ORGSCOPE_LINT_CACHE_DIR"
NO_CACHE_ENV = "ORGSCOPE_LINT_NO_CACHE"
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
    """`cache-dir` (`.orgscope_cache` unless set) in the project root: beside the
    configuration file, or in the root found without one."""
    return config.root / config.cache_dir


def cache_location(config: Config, flag: Path | None = None) -> tuple[Path, bool] | None:
    """Where this run's cache lives, and whether the user chose that place; None: no cache.

    In order: `--cache-dir`, `$ORGSCOPE_LINT_CACHE_DIR`, `cache-dir` in the configuration
    (relative to the project root, and kept inside it: the configuration comes with the
    checkout), then `.orgscope_cache` in the project root. `--no-cache`,
    `$ORGSCOPE_LINT_NO_CACHE=1` or `cache = false` turn it off.
    """
    if os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0") or not config.cache:
        return None
    if flag is not None:
        return flag, True
    chosen = os.environ.get(CACHE_DIR_ENV, "").strip()
    if chosen:
        return Path(chosen), True
    return default_cache_dir(config), False


@dataclass(frozen=True, slots=True)
class FactsCache:
    """The entries of one namespace. Plain data, so it travels to worker processes."""

    directory: Path
    # The cache directory itself, and the key that signs every entry in it.
    root: Path
    key: bytes
    # The tool build every entry is bound to, computed once by the main process: a
    # worker reading the package's files later could see another build.
    build: bytes = b""

    @classmethod
    def open(cls, root: Path, config: Config, *, chosen: bool = True) -> FactsCache | None:
        """The cache under `root` for this configuration and build of the tool.

        `chosen` is False for a place the user did not name: a symbolic link there (one a
        checkout could commit) is refused rather than followed out of the project.
        Returns None, with a warning on stderr, when `root` cannot be used: the run then
        goes on without a cache, exactly as with `--no-cache`.
        """
        root = Path(os.path.abspath(root))
        try:
            if not chosen and os.path.islink(root):
                raise NotACacheDirectory(f"{root} is a symbolic link")
            prepare_root(root)
            key = cache_key(root, config.root)
        except NotACacheDirectory as exc:
            _warn(f"{exc}; running without the cache")
            return None
        except OSError as exc:
            _warn(f"cannot create the cache in {root}: {exc.strerror or exc}")
            return None
        directory = root / "facts" / namespace(config)
        _mark_used_and_prune(directory)
        build = f"{__version__}\0{_code_digest()}".encode()
        return cls(directory, root, key, build)

    def load(self, shown: str, digest: str) -> FileFacts | None:
        """The facts stored for this path and these bytes, or None (missing or unusable)."""
        stored = self._read_entry(self.entry_path(shown))
        if not (isinstance(stored, tuple) and len(stored) == 3):
            return None
        path, stored_digest, facts = stored
        if path != shown or stored_digest != digest or not isinstance(facts, FileFacts):
            return None
        return facts

    def store(self, shown: str, digest: str, facts: FileFacts) -> None:
        """Best effort: a cache that cannot be written only costs speed."""
        self._write_entry(self.entry_path(shown), (shown, digest, facts))

    def load_schema(self, fingerprint: str) -> Schema | None:
        """The replayed schema for migrations with this fingerprint: sqlglot's parse is
        the largest cost of a warm run otherwise."""
        stored = self._read_entry(self._schema_path(fingerprint))
        ok = isinstance(stored, Schema) and stored.fingerprint == fingerprint
        # An entry written before row-level security (and the columns the caller may
        # write) was replayed lacks it: a miss.
        rls = getattr(stored, "rls", None) if ok else None
        return stored if rls is not None and _is_writable_table(rls.writable) else None

    def store_schema(self, schema: Schema) -> None:
        self._write_entry(self._schema_path(schema.fingerprint), schema)

    def load_context(self, key: str) -> tuple[dict, dict] | None:
        """The project's summary index (see `context`) stored under `key`, and its
        overlay: the entries changed since the index was last written whole. None when
        there is no usable index; a damaged or refused overlay is an empty one (its
        entries are then summarised again, and it is rewritten)."""
        index = _index_or_none(self._read_entry(self._context_path(key)))
        if index is None:
            return None
        overlay = _index_or_none(self._read_entry(self._context_path(key, overlay=True)))
        return index, overlay or {}

    def store_context(self, key: str, index: dict) -> None:
        """The whole index; the overlay it absorbs is removed. Its equal strings and leaf
        records are written once (`sharing`): every partial run unpickles it."""
        self._write_entry(self._context_path(key), shared(index))
        _unlink_quietly(str(self._context_path(key, overlay=True)))

    def store_context_overlay(self, key: str, overlay: dict) -> None:
        """Only the entries that differ from the stored index: a hook run that changed
        a few of them does not rewrite (and re-pickle) the index of the whole project."""
        self._write_entry(self._context_path(key, overlay=True), shared(overlay))

    def load_digests(self, key: str) -> dict[str, tuple[tuple[int, int] | None, str]] | None:
        """The stamp and digest of every file the index under `key` holds: a few hundred
        kilobytes where the index is tens of megabytes."""
        stored = self._read_entry(self._context_path(key, suffix=".digests"))
        if not isinstance(stored, dict):
            return None
        for shown, entry in stored.items():
            if not (isinstance(shown, str) and _is_stamped_digest(entry)):
                return None
        return stored

    def store_digests(self, key: str, table: dict) -> None:
        self._write_entry(self._context_path(key, suffix=".digests"), table)

    def _context_path(self, key: str, *, overlay: bool = False, suffix: str = "") -> Path:
        # Each layer is signed with its own name: one cannot pass for the other.
        return self._beside("context") / (f"{key}.overlay" if overlay else f"{key}{suffix}")

    def load_edits(self, shown: str, digest: str, wanted: tuple) -> dict | None:
        """The text edits of the `wanted` fixes in this file, computed from these bytes
        (see `fix_edits`); one entry per file, overwritten when either changes."""
        stored = self._read_entry(self._edits_path(shown))
        if not (isinstance(stored, tuple) and len(stored) == 4):
            return None
        path, stored_digest, stored_wanted, edits = stored
        if (path, stored_digest, stored_wanted) != (shown, digest, wanted):
            return None
        if not (isinstance(edits, dict) and set(edits) == set(wanted)):
            return None
        return edits if all(e is None or isinstance(e, dict) for e in edits.values()) else None

    def store_edits(self, shown: str, digest: str, wanted: tuple, edits: dict) -> None:
        self._write_entry(self._edits_path(shown), (shown, digest, wanted, edits))

    def _edits_path(self, shown: str) -> Path:
        key = hashlib.sha256(shown.encode("utf-8", "surrogateescape")).hexdigest()
        return self._beside("edits") / key[:2] / key[2:]

    def load_judgements(self, fingerprint: str) -> dict | None:
        """The row-level-security judgements (`rls.policies.judge`) earlier runs made on
        the migrations with this fingerprint."""
        stored = self._read_entry(self._beside("rls") / fingerprint)
        if not isinstance(stored, dict):
            return None
        for key, scope in stored.items():
            if not (_is_judgement_key(key) and type(scope) is int):
                return None
        return stored

    def store_judgements(self, fingerprint: str, judgements: dict) -> None:
        # One entry at a time: judgements on other migrations are not looked up again.
        self._store_latest("rls", fingerprint, judgements)

    def load_findings(self, key: str) -> list[Finding] | None:
        """The findings of an earlier run with exactly these inputs (see engine._state_of)."""
        return _list_of(self._read_entry(self._beside("runs") / key), Finding)

    def store_findings(self, key: str, findings: list[Finding]) -> None:
        self._store_latest("runs", key, findings)

    def _read_entry(self, path: Path) -> object | None:
        """An entry's value, or None for anything missing, unsigned, damaged or refused:
        a miss, which the caller recomputes and rewrites."""
        data = read_bounded(path, MAX_ENTRY_BYTES)
        if data is None or not data.startswith(ENTRY_MAGIC):
            return None
        start = len(ENTRY_MAGIC) + SIGNATURE_BYTES
        signature, payload = data[len(ENTRY_MAGIC) : start], data[start:]
        if not hmac.compare_digest(signature, self._sign(path, payload)):
            return None
        try:
            return safe_loads(payload)
        except Exception:  # refused class, or a payload this build cannot rebuild
            return None

    def _write_entry(self, path: Path, value: object) -> None:
        """Best effort: a cache that cannot be written only costs speed."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            if not self._make_parent(path):
                return
            write_atomically(path, ENTRY_MAGIC + self._sign(path, payload) + payload)
        except (OSError, pickle.PicklingError, RecursionError):
            pass

    def _sign(self, path: Path, payload: bytes) -> bytes:
        # The entry's place is signed too: a valid entry copied under another file's
        # name, or another tool build's entry, does not verify.
        place = os.path.relpath(path, self.root).replace(os.sep, "/")
        header = self.build + f"\0{place}\0".encode("utf-8", "surrogateescape")
        return hmac.new(self.key, ENTRY_MAGIC + header + payload, hashlib.sha256).digest()

    def _make_parent(self, path: Path) -> bool:
        """Create the entry's directory below the cache root, never the root itself (a
        `clean` during the run removed it: recreating it untagged would lock the cache
        out), and never through a symbolic link out of it."""
        return make_below(self.root, path.parent)

    def _store_latest(self, kind: str, key: str, value: object) -> None:
        """One entry of `kind` at a time: the previous ones describe a past state."""
        target = self._beside(kind) / key
        with contextlib.suppress(OSError):
            for old in target.parent.iterdir():
                _unlink_quietly(str(old))
        self._write_entry(target, value)

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
    # A concurrent run writes the tag first: anything else listed may have come after
    # its tag, which the first look ran too early to see, hence the second look.
    if (
        root.is_dir()
        and not is_cache_dir(root)
        and not _only_temporary_files(root)
        and not is_cache_dir(root)
    ):
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
    # Moved aside first, in one step: a run still writing finds no root to write into
    # (and never recreates one), instead of refilling a half-removed, untagged one.
    doomed = root.with_name(f".{root.name}.removing-{secrets.token_hex(4)}")
    os.rename(root, doomed)
    shutil.rmtree(doomed)
    return True


def is_cache_dir(root: Path) -> bool:
    """Whether `root` carries the cache directory tag (so removing it is safe)."""
    tag = read_bounded(root / CACHEDIR_TAG_NAME, len(CACHEDIR_TAG) * 2)
    return tag is not None and tag.startswith(CACHEDIR_SIGNATURE.encode("ascii"))


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes, else None: a symbolic link
    (last component), FIFO, device or directory is never opened for reading, and nothing
    waits for a writer."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks, remaining = [], limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data if len(data) <= limit else None


def key_directory() -> Path:
    """The user's own cache directory: never inside a checkout, never restored with one."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "orgscope-lint" / "keys"


def cache_key(root: Path, project: Path) -> bytes:
    """The random key that signs the entries of the cache at `root`, created on first use.

    Kept outside the cache and outside the project: whoever can write there (a checkout,
    a restored CI cache) cannot forge an entry. Raises NotACacheDirectory when the key
    would live where it protects nothing.
    """
    directory = key_directory()
    real = os.path.realpath(directory)
    for inside in (root, project):
        if _within(real, os.path.realpath(inside)):
            raise NotACacheDirectory(f"the cache key directory {directory} is inside {inside}")
    name = hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:32]
    path = directory / name
    key = read_bounded(path, KEY_BYTES)
    if key is not None and len(key) == KEY_BYTES:
        return key
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f".tmp-{name}-{secrets.token_hex(4)}")
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(fresh)
        try:
            os.link(temporary, path)  # a concurrent run's key, if it won, is kept
        except FileExistsError:
            pass
        except OSError:
            os.replace(temporary, path)  # no hard links here: last writer wins
    finally:
        _unlink_quietly(str(temporary))
    key = read_bounded(path, KEY_BYTES)
    if key is None or len(key) != KEY_BYTES:
        raise OSError(f"cannot read the cache key {path}")
    return key


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(os.path.join(directory, ""))


def _only_temporary_files(root: Path) -> bool:
    # A concurrent run that just created the directory may be writing its tag.
    return all(entry.name.startswith(".tmp-") for entry in root.iterdir())


def make_below(root: Path, directory: Path) -> bool:
    """Create `directory` one level at a time below an existing `root`; False when the
    root is gone or a level is not a plain directory (a symbolic link leads elsewhere)."""
    if not os.path.isdir(root):
        return False
    current = root
    for part in directory.relative_to(root).parts:
        current = current / part
        with contextlib.suppress(FileExistsError):
            os.mkdir(current)
        if os.path.islink(current) or not os.path.isdir(current):
            return False
    return True


def _mark_used_and_prune(directory: Path) -> None:
    """Date the namespace in use, and delete those no run has used for a while.

    Every tool upgrade or configuration change starts a new namespace; without this the
    old ones would stay forever. Best effort: a concurrent run may be pruning too.
    """
    now = time.time()
    with contextlib.suppress(OSError):
        if not make_below(directory.parent.parent, directory):
            return
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
    """LibCST's version as its own `_version.py` states it: found without importing
    LibCST (a fifth of a hook run's start-up) or `importlib.metadata` (which scans the
    installed distributions)."""
    from importlib.util import find_spec

    with contextlib.suppress(ImportError, OSError, ValueError):
        spec = find_spec("libcst")
        locations = spec.submodule_search_locations if spec is not None else None
        if locations:
            text = (Path(next(iter(locations))) / "_version.py").read_text(encoding="utf-8")
            found = _VERSION_LINE.search(text)
            if found is not None:
                return found.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:  # pragma: no cover - vendored or unusual installs
        return "unknown"


def safe_loads(payload: bytes) -> object:
    """A payload rebuilt by `_SafeUnpickler`, with the cyclic garbage collector paused.

    Unpickling the project's summary index allocates hundreds of thousands of small
    objects, none of them garbage; each allocation threshold crossed starts a
    collection, and the full ones walk every object built so far: the collector cost
    more than the unpickling itself. The objects stay alive after the load, so they are
    moved out of the collector's sight (`gc.freeze`) too: the collections of the rest
    of the run then only walk what the run allocates afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        value = _SafeUnpickler(io.BytesIO(payload)).load()
        if len(payload) >= FREEZE_ABOVE_BYTES:
            gc.freeze()
        return value
    finally:
        if was_enabled:
            gc.enable()


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


def _index_or_none(stored: object) -> dict | None:
    """A summary index as `context` stores it (display path -> (stamp, digest, summary
    facts)), or None for anything else."""
    if not isinstance(stored, dict):
        return None
    for shown, entry in stored.items():
        if not (
            isinstance(shown, str)
            and isinstance(entry, tuple)
            and len(entry) == 3
            and isinstance(entry[2], FileFacts)
        ):
            return None
    return stored


def _is_stamped_digest(entry: object) -> bool:
    """(stamp or None, hex digest), a stamp being (mtime in nanoseconds, size)."""
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str)):
        return False
    stamp = entry[0]
    return stamp is None or (
        isinstance(stamp, tuple) and len(stamp) == 2 and all(type(n) is int for n in stamp)
    )


def _is_writable_table(writable: object) -> bool:
    """(table, column) -> `Writer`, as `rls.writable.find_writable` returns it."""
    return isinstance(writable, dict) and all(
        isinstance(pair, tuple)
        and len(pair) == 2
        and all(isinstance(n, str) for n in pair)
        and isinstance(writer, Writer)
        for pair, writer in writable.items()
    )


def _is_judgement_key(key: object) -> bool:
    """(expression, tenant key, legacy keys, owner columns, caller settings, writable
    (table, column) pairs, whether a read is judged, whether the caller's own rows
    count as scoped): `rls.policies._memo_key`."""
    if not (isinstance(key, tuple) and len(key) == 8):
        return False
    expression, tenant_key, *sets, writable, reading, caller_rows = key
    if type(reading) is not bool or type(caller_rows) is not bool:
        return False
    names_ok = all(
        isinstance(names, tuple) and all(isinstance(n, str) for n in names) for names in sets
    )
    pairs_ok = isinstance(writable, tuple) and all(
        isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(n, str) for n in pair)
        for pair in writable
    )
    return isinstance(expression, str) and isinstance(tenant_key, str) and names_ok and pairs_ok


def _list_of(stored: object, kind: type) -> list | None:
    if isinstance(stored, list) and all(isinstance(item, kind) for item in stored):
        return stored
    return None


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _warn(message: str) -> None:
    print(f"orgscope-lint: warning: {message}", file=sys.stderr)
