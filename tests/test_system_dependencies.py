"""Routes guarded by a configured system dependency are exempt, like `system-context`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from orgscope_lint.cli import cli

ROUTES = textwrap.dedent(
    """\
    @router.get("/admin/orgs/{org_id}/calls")
    def admin_calls(org_id: str, _=Depends(require_platform_admin())):
        return db.select("calls", {"clerk_org_id": org_id})


    @router.get("/admin/all", dependencies=[Security(auth.require_platform_admin)])
    def admin_all():
        return db.select("calls")


    @router.get("/orgs/{org_id}/calls")
    def tenant_calls(org_id: str, user=Depends(get_current_user)):
        return db.select("calls", {"clerk_org_id": org_id})
    """
)


def _run(tmp_path: Path, config: str) -> dict:
    (tmp_path / "pyproject.toml").write_text(f"[tool.orgscope-lint]\n{config}\n")
    (tmp_path / "routes.py").write_text(ROUTES)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(tmp_path),
            "--output-format",
            "json",
            "--config",
            str(tmp_path / "pyproject.toml"),
        ],
    )
    return json.loads(result.stdout)  # the JSON document alone, notes go to stderr


def test_guarded_routes_are_system_context(tmp_path: Path) -> None:
    report = _run(tmp_path, 'system-dependencies = ["require_platform_admin"]')
    assert [(f["line"], f["code"]) for f in report["findings"]] == [(13, "ORG009")]
    assert report["summary"]["suppressed"] == 2


def test_without_the_setting_every_route_is_checked(tmp_path: Path) -> None:
    report = _run(tmp_path, 'tenant-key = "clerk_org_id"')
    assert sorted((f["line"], f["code"]) for f in report["findings"]) == [
        (3, "ORG009"),
        (8, "ORG002"),
        (13, "ORG009"),
    ]
