"""The configuration reference is generated from the key table and cannot fall behind it;
`orgscope-lint config` prints the settings in effect and where each comes from."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import run_cli

from orgscope_lint.config import _KEYS, config_from_mapping, load_config
from orgscope_lint.config_docs import (
    KEY_DOCS,
    default_of,
    reference_markdown,
    shown_default,
    toml_value,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
REGENERATE = "run `python -m orgscope_lint.config_docs docs/configuration.md`"


def _value(text: str) -> object:
    return tomllib.loads(f"v = {text}")["v"]


def test_every_key_is_documented_and_nothing_else_is() -> None:
    assert sorted(KEY_DOCS) == sorted(_KEYS)


def test_the_reference_page_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown(), REGENERATE


def test_the_reference_has_a_section_per_key_with_its_default() -> None:
    page = reference_markdown()
    for key in _KEYS:
        section = page.split(f"## `{key}`\n", 1)[1].split("\n## ", 1)[0]
        assert f"Default: `{shown_default(key)}`." in section
        assert f"{key} = {KEY_DOCS[key].example}" in section


@pytest.mark.parametrize("key", list(_KEYS))
def test_each_example_is_a_valid_setting_that_changes_something(key: str) -> None:
    attribute = _KEYS[key][0]
    config = config_from_mapping({key: _value(KEY_DOCS[key].example)})
    assert getattr(config, attribute) != default_of(key)


@pytest.mark.parametrize("key", list(_KEYS))
def test_each_documented_default_reads_back_as_the_default(key: str) -> None:
    if default_of(key) is None:  # unset by default: nothing to read back
        assert shown_default(key) == "unset"
        return
    config = config_from_mapping({key: _value(toml_value(default_of(key)))})
    assert getattr(config, _KEYS[key][0]) == default_of(key)


# ------------------------------------------------------------------- orgscope-lint config

PYPROJECT = """\
[project]
name = "demo"

[tool.orgscope-lint]
tenant-key = "org_id"
global-tables = ["plans"]
scoped-helpers = { get_project = "org_id" }
per-file-ignores = { "tests/**" = ["ORG001"] }
"""


def _settings(output: str) -> dict[str, str]:
    """key -> the comment that follows its value (an unset key is a commented line)."""
    settings = {}
    for line in output.splitlines():
        if line.startswith("# ") and " is unset  # " in line:
            settings[line[2:].split(" is unset", 1)[0]] = line.rsplit("  # ", 1)[1]
        elif not line.startswith("#"):
            settings[line.split(" = ", 1)[0]] = line.rsplit("  # ", 1)[1]
    return settings


def test_config_prints_every_key_with_its_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")

    result = run_cli(["config"], cwd=tmp_path)

    assert result.exit_code == 0, result.stderr
    sources = _settings(result.stdout)
    assert list(sources) == list(_KEYS)
    assert sources["tenant-key"] == sources["global-tables"] == "pyproject.toml"
    assert sources["scoped-helpers"] == "pyproject.toml, added to the defaults"
    assert sources["schema"] == sources["legacy-keys"] == "default"
    assert result.stdout.startswith("# configuration file: pyproject.toml\n")


def test_config_output_reads_back_as_the_same_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")

    printed = run_cli(["config"], cwd=tmp_path).stdout

    effective = load_config(start=tmp_path)
    again = config_from_mapping(tomllib.loads(printed))
    assert again.fingerprint() == effective.fingerprint()
    assert again.tenant_key == "org_id"


def test_config_without_a_file_says_so(tmp_path: Path) -> None:
    result = run_cli(["config"], cwd=tmp_path)

    assert result.stdout.startswith("# configuration file: none found, built-in defaults\n")
    assert set(_settings(result.stdout).values()) == {"default"}


def test_config_with_a_bad_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "orgscope.toml").write_text('tenant-kee = "org_id"\n', encoding="utf-8")

    result = run_cli(["config"], cwd=tmp_path)

    assert result.exit_code == 2
    assert "tenant-kee" in result.stderr and "Traceback" not in result.stderr
