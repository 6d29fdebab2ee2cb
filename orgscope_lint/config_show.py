"""`orgscope-lint config`: the settings in effect and where each one comes from.

The output is TOML in `orgscope.toml`'s shape, each value followed by its source as a
comment, so it can be read, diffed, or copied into a configuration file as it is.
"""

from __future__ import annotations

import os
from pathlib import Path

from orgscope_lint.config import _KEYS, Config, _read_table
from orgscope_lint.config_docs import toml_value

# Keys whose configured value is merged with the built-in one rather than replacing it.
_MERGED_WITH_DEFAULTS = frozenset({"scoped-helpers"})


def show_settings(config: Config, cwd: Path | None = None) -> str:
    shown = _shown(config.source, cwd) if config.source else None
    configured = set(_read_table(config.source)) if config.source else set()
    lines = [
        f"# configuration file: {shown or 'none found, built-in defaults'}",
        f"# project root: {_shown(config.root, cwd)}",
    ]
    for key, (attribute, _) in _KEYS.items():
        value = getattr(config, attribute)
        if value is None:  # TOML has no null: an unset key is shown commented out
            lines.append(f"# {key} is unset  # {_source(key, configured, shown)}")
            continue
        lines.append(f"{key} = {toml_value(value)}  # {_source(key, configured, shown)}")
    return "\n".join(lines) + "\n"


def _source(key: str, configured: set[str], shown: str | None) -> str:
    if key not in configured:
        return "default"
    if key in _MERGED_WITH_DEFAULTS:
        return f"{shown}, added to the defaults"
    return str(shown)


def _shown(path: Path, cwd: Path | None) -> str:
    """Relative to the working directory when below it, as findings' paths are."""
    here = (cwd or Path.cwd()).resolve()
    resolved = path.resolve()
    if resolved == here or here in resolved.parents:
        return os.path.relpath(resolved, here)
    return str(resolved)
