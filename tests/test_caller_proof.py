"""analysis/caller_proof: a query pinned by its function's parameters, judged by what
every call site in the project passes (docs/architecture.md, "Parameters proven by
their callers")."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from orgscope_lint.analysis.caller_proof import Judgement, Proof, judge, leaks_in, param_proof
from orgscope_lint.config import load_config
from orgscope_lint.engine import RunResult, run

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"

HELPER = """
def get_call(db, call_id):
    return db.select_one("calls", {"id": call_id})
"""


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _run(root: Path, files: tuple[str, ...] = (), **options: object) -> RunResult:
    options.setdefault("use_cache", False)
    paths = [root / name for name in files] or [root]
    return run(paths, load_config(start=root), cwd=root, jobs=1, **options)  # type: ignore[arg-type]


def _proof(result: RunResult, path: str, line: int) -> Proof:
    return judge_at(result, path, line).proof


def judge_at(result: RunResult, path: str, line: int) -> Judgement:
    for facts in result.facts:
        for query in facts.queries:
            if facts.path == path and query.span.line == line:
                fn = facts.function(query.function)
                return judge(query, path, fn, result.project)
    raise AssertionError(f"no query at {path}:{line}")


def _codes(result: RunResult) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.code) for f in result.active}


def test_every_caller_passing_the_principals_id_makes_it_owner_scoped(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "notes.py": "def notes_of(db, user_id):\n"
            '    return db.select("notes", {"user_id": user_id})\n',
            "api.py": "from notes import notes_of\n\n"
            '@router.get("/notes")\ndef mine(db, current_user):\n'
            '    return notes_of(db, current_user["user_id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "notes.py", 2) is Proof.OWNER
    assert _codes(result) == set()


def test_verified_ids_prove_it_with_a_warning_naming_the_check(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER,
            "api.py": "from calls import get_call\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, current_user):\n'
            '    org = current_user["clerk_org_id"]\n'
            '    if db.select_one("calls", {"id": call_id, "clerk_org_id": org}) is None:\n'
            "        raise LookupError(call_id)\n"
            "    return get_call(db, call_id)\n",
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 3) is Proof.VERIFIED
    [warning] = result.active
    assert (warning.path, warning.line, warning.code) == ("calls.py", 3, "ORG013")
    assert "relies on what its callers checked before calling it (api.py:6)" in warning.message
    assert [(r.path, r.line) for r in warning.related] == [("api.py", 8)]


def test_a_request_id_is_reported_at_the_call_that_passes_it(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER,
            "api.py": "from calls import get_call\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str):\n'
            "    return get_call(db, call_id)\n",
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 3) is Proof.LEAK
    [reached] = leaks_in("api.py", result.project)
    assert (reached.path, reached.query.span.line, reached.entry.param) == (
        "calls.py",
        3,
        "call_id",
    )
    [finding] = result.active
    assert (finding.path, finding.line, finding.code) == ("api.py", 5, "ORG001")
    assert "`get_call` is given `call_id` from the request path here" in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("calls.py", 3)]


def test_each_request_value_a_call_passes_is_named_with_where_it_came_from(
    tmp_path: Path,
) -> None:
    helper = (
        "def get_call(db, call_id, agent_id):\n"
        '    return db.select_one("calls", {"id": call_id, "agent_id": agent_id})\n'
    )
    root = _project(
        tmp_path,
        {
            "calls.py": helper,
            "api.py": "from calls import get_call\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, agent_id: str):\n'
            "    return get_call(db, call_id, agent_id)\n",
        },
    )
    [finding] = _run(root).active
    given = finding.message.split(" is given ", 1)[1].split(" here;", 1)[0]
    assert sorted(given.split(", ")) == [
        "`agent_id` from the query string",
        "`call_id` from the request path",
    ]


def test_a_leak_at_one_call_leaves_the_query_judged_alone_for_unproven_others(
    tmp_path: Path,
) -> None:
    # The route's path id is reported where it enters; the id from a payload the
    # second caller gets is proven by nothing, so the query itself is reported too:
    # that path is covered by no other finding.
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER,
            "api.py": "from calls import get_call\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str):\n'
            "    return get_call(db, call_id)\n\n\n"
            "def restore(db, payload):\n"
            '    return get_call(db, payload["call_id"])\n',
        },
    )
    result = _run(root)
    judged = judge_at(result, "calls.py", 3)
    assert judged.proof is Proof.LEAK and judged.partial
    assert _codes(result) == {("api.py", 5, "ORG001"), ("calls.py", 3, "ORG001")}


SERVICE = """
class CallService:
    def load(self, db, call_id):
        return self._fetch(db, call_id)

    def _fetch(self, db, call_id):
        return db.select_one("calls", {"id": call_id})
"""


def test_a_caller_parameter_is_judged_by_that_callers_callers(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": SERVICE,
            "api.py": "from calls import CallService\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, current_user):\n'
            "    return CallService().load(db, call_id)\n",
        },
    )
    result = _run(root)
    assert _codes(result) == {("api.py", 5, "ORG001")}


def test_a_pass_through_never_given_to_libcst_still_passes_its_parameters(
    tmp_path: Path,
) -> None:
    """No database call and no tenant name: its calls are read from the `ast` tree."""
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER + "\n\ndef load(db, call_id):\n    return get_call(db, call_id)\n",
            "api.py": "from calls import load\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, current_user):\n'
            "    return load(db, call_id)\n",
        },
    )
    assert _codes(_run(root)) == {("api.py", 5, "ORG001")}


SERVICE = """
class CallService:
    def load(self, db, call_id):
        return db.select_one("calls", {"id": call_id})
"""


@pytest.mark.parametrize(
    ("body", "proven"),
    [
        pytest.param("    service = CallService()\n", True, id="one instance"),
        pytest.param(
            "    service = CallService()\n    service = make()\n", False, id="bound twice"
        ),
        pytest.param("    service = factory()\n", False, id="not a class"),
    ],
)
def test_a_pass_through_never_given_to_libcst_calls_methods_of_its_instance(
    tmp_path: Path, body: str, proven: bool
) -> None:
    """`service = CallService()` then `service.load(...)`, read from the `ast` tree:
    the call site of `CallService.load` is known, unless the name may hold another."""
    root = _project(
        tmp_path,
        {
            "calls.py": SERVICE,
            "relay.py": f"from calls import CallService\n\ndef relay(db, call_id):\n{body}"
            "    return service.load(db, call_id)\n",
            "api.py": "from relay import relay\n\n"
            '@router.get("/calls")\ndef read(db, current_user):\n'
            '    return relay(db, current_user["id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 4) is (Proof.OWNER if proven else Proof.UNPROVEN)


def test_a_route_never_analysed_leaves_its_callees_judged_alone(tmp_path: Path) -> None:
    """Neither a query nor a principal: where its arguments come from is not known."""
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER.replace("get_call", "load_call"),
            "api.py": "from calls import load_call\n\n"
            '@router.get("/calls/{call_id}")\ndef read(db, call_id: str):\n'
            "    return load_call(db, call_id)\n",
            "other.py": "def mine(db, current_user):\n"
            '    return load_call(db, current_user["id"])\n',
        },
    )
    assert _codes(_run(root)) == {("calls.py", 3, "ORG001")}


def test_no_caller_leaves_it_judged_alone(tmp_path: Path) -> None:
    result = _run(_project(tmp_path, {"calls.py": HELPER}))
    assert _proof(result, "calls.py", 3) is Proof.UNPROVEN
    assert _codes(result) == {("calls.py", 3, "ORG001")}


def test_a_function_passed_as_a_value_has_callers_unseen(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER,
            "api.py": "from calls import get_call\n\n"
            "def read(db, current_user, pool):\n"
            '    pool.submit(get_call, db, "x")\n'
            '    return get_call(db, current_user["user_id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 3) is Proof.UNPROVEN


CYCLE = """
class CallService:
    def a(self, db, call_id):
        return self.b(db, call_id)

    def b(self, db, call_id):
        self.a(db, call_id)
        return db.select_one("calls", {"id": call_id})
"""


def test_a_cycle_proves_nothing(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": CYCLE,
            "api.py": "def read(db, current_user):\n"
            '    return CallService().a(db, current_user["user_id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 8) is Proof.UNPROVEN


def test_two_definitions_of_the_name_leave_calls_unresolved(tmp_path: Path) -> None:
    other = HELPER.replace('"calls"', '"agents"')
    root = _project(
        tmp_path,
        {
            "calls.py": HELPER,
            "agents.py": other,
            "api.py": "def read(db, current_user):\n"
            '    return get_call(db, current_user["user_id"])\n',
        },
    )
    assert _proof(_run(root), "calls.py", 3) is Proof.UNPROVEN


def test_a_helper_told_who_asks_decides_access_itself(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": "def check_call(db, call_id, user_id):\n"
            '    return db.select_one("calls", {"id": call_id})\n',
            "api.py": '@router.get("/calls/{call_id}")\ndef read(db, call_id: str, current_user):\n'
            '    return check_call(db, call_id, current_user["user_id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "calls.py", 2) is Proof.UNPROVEN
    assert _codes(result) == {("calls.py", 2, "ORG001")}


def test_a_helper_that_drops_the_org_it_is_given_is_judged_inside(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "calls.py": "def by_title(db, org_id, title):\n"
            '    return db.select_one("calls", {"title": title})\n',
            "api.py": '@router.get("/calls/{title}")\ndef read(db, title: str, current_user):\n'
            '    return by_title(db, current_user["clerk_org_id"], title)\n',
        },
    )
    assert _codes(_run(root)) == {("calls.py", 2, "ORG001")}


def test_a_hook_run_on_the_helper_rejudges_it_when_a_caller_changes(tmp_path: Path) -> None:
    root = tmp_path / "case"
    shutil.copytree(CASES / "precision_caller_proven_ids", root)
    cache = tmp_path / "cache"
    _age(root)
    _run(root, use_cache=True, cache_dir=cache)  # a full run leaves the summaries
    helper = ("app/db/threads.py",)
    before = _codes(_run(root, helper, use_cache=True, cache_dir=cache))
    assert ("app/db/threads.py", 9, "ORG013") in before
    api = root / "app/api/threads.py"
    text = api.read_text(encoding="utf-8")
    api.write_text(
        text.replace("return get_message(message_id)  #", "return get_thread(message_id)  #")
    )
    _age(root)
    after = _codes(_run(root, helper, use_cache=True, cache_dir=cache))
    assert ("app/db/threads.py", 9, "ORG013") not in after
    assert ("app/api/threads.py", 39, "ORG001") not in after  # not a checked file


def _age(root: Path, seconds: int = 60) -> None:
    """Date every file back, out of the racy window: summaries are kept by stamp."""
    past = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


GET_ITEM = """
def get_item(item_id):
    return sb.table("items").select("*").eq("id", item_id).single().execute().data
"""

ROUTE_CHECKING = """from repo import get_item

@router.get("/items/{{item_id}}")
def read(item_id: str, current_user=Depends(get_current_user)):
    item = get_item(item_id)
{check}
    return item
"""

ITEMS = "create table items (id uuid primary key, clerk_org_id text not null);\n"


def _items_project(tmp_path: Path, check: str, helper: str = GET_ITEM) -> Path:
    root = _project(tmp_path, {"repo.py": helper, "api.py": ROUTE_CHECKING.format(check=check)})
    (root / "migrations").mkdir()
    (root / "migrations" / "001.sql").write_text(ITEMS, encoding="utf-8")
    return root


RAISES = (
    '    if item["clerk_org_id"] != current_user["clerk_org_id"]:\n        raise HTTPException(403)'
)


def test_a_caller_checking_the_returned_row_proves_the_read(tmp_path: Path) -> None:
    result = _run(_items_project(tmp_path, RAISES))
    assert _proof(result, "repo.py", 3) is Proof.VERIFIED
    [warning] = result.active
    assert (warning.path, warning.line, warning.code) == ("repo.py", 3, "ORG013")
    assert "relies on its callers checking the row it returns (api.py:5)" in warning.message


@pytest.mark.parametrize(
    ("check", "helper"),
    [
        ("    log(item)", GET_ITEM),  # no check: the path id is the leak
        (  # compared, but nothing raises
            '    ok = item["clerk_org_id"] == current_user["clerk_org_id"]',
            GET_ITEM,
        ),
        (  # compared with another request value, not the principal
            '    if item["clerk_org_id"] != item_id:\n        raise HTTPException(403)',
            GET_ITEM,
        ),
        (  # the helper writes before handing the row back: the check comes too late
            RAISES,
            GET_ITEM.replace('.select("*")', '.update({"seen": True})'),
        ),
    ],
    ids=["no-check", "no-raise", "not-the-principal", "a-write"],
)
def test_what_a_returned_row_check_does_not_prove(tmp_path: Path, check: str, helper: str) -> None:
    result = _run(_items_project(tmp_path, check, helper))
    assert ("api.py", 5, "ORG001") in _codes(result)


NOTES_SERVICE = """
class NoteService:
    def mine(self, db, user_id):
        return db.select("notes", {"user_id": user_id})
"""


def _factory_project(tmp_path: Path, factory: str) -> RunResult:
    root = _project(
        tmp_path,
        {
            "notes.py": NOTES_SERVICE + factory,
            "api.py": "from notes import get_notes\n\n"
            '@router.get("/notes")\ndef mine(db, current_user):\n'
            "    service = get_notes()\n"
            '    return service.mine(db, current_user["user_id"])\n',
        },
    )
    return _run(root)


@pytest.mark.parametrize(
    "annotation", ["NoteService", '"NoteService"', "Optional[NoteService]", "NoteService | None"]
)
def test_a_factory_annotated_with_a_project_class_resolves_its_calls(
    tmp_path: Path, annotation: str
) -> None:
    result = _factory_project(tmp_path, f"\ndef get_notes() -> {annotation}:\n    return x\n")
    assert _proof(result, "notes.py", 4) is Proof.OWNER


@pytest.mark.parametrize(
    "factory",
    [
        "\ndef get_notes():\n    return NoteService()\n",  # no annotation
        "\ndef get_notes() -> dict:\n    return {}\n",  # not a project class
        "\ndef get_notes() -> Union[NoteService, Other]:\n    return x\n",  # one of two
        "\ndef get_notes() -> NoteService:\n    return x\n\n"
        "def get_notes() -> NoteService:\n    return y\n",  # defined twice
    ],
    ids=["unannotated", "foreign class", "two classes", "two definitions"],
)
def test_a_factory_that_names_no_one_project_class_leaves_the_calls_unseen(
    tmp_path: Path, factory: str
) -> None:
    assert _proof(_factory_project(tmp_path, factory), "notes.py", 4) is Proof.UNPROVEN


CLOSURE = """
def memberships(db, user_id, org_id=None):
    def fetch():
        return db.select("members", {"user_id": user_id})
    return run_with_retries(fetch)
"""


def test_a_closure_is_proven_by_its_enclosing_functions_callers(tmp_path: Path) -> None:
    """Also when the enclosing function takes an org it does not use: pinned to the
    principal's own user by every caller, the rows are the caller's own."""
    root = _project(
        tmp_path,
        {
            "members.py": CLOSURE,
            "api.py": '@router.get("/mine")\ndef mine(db, current_user):\n'
            '    return memberships(db, current_user["user_id"])\n',
        },
    )
    result = _run(root)
    assert _proof(result, "members.py", 4) is Proof.OWNER
    assert _codes(result) == set()


def test_a_closure_given_request_input_is_reported_where_it_enters(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "members.py": CLOSURE.replace(", org_id=None", ""),
            "api.py": '@router.get("/users/{user_id}/orgs")\n'
            "def theirs(db, user_id: str, current_user):\n"
            "    return memberships(db, user_id)\n",
        },
    )
    assert _codes(_run(root)) == {("api.py", 3, "ORG001")}


def test_an_org_dropped_and_nothing_proven_stays_judged_inside(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "members.py": CLOSURE,
            "api.py": '@router.get("/mine")\ndef mine(db, current_user, some_id):\n'
            "    return memberships(db, lookup(some_id))\n",
        },
    )
    assert _proof(_run(root), "members.py", 4) is Proof.UNPROVEN


ROLE_CHECK = """
def org_of(db, project_id):
    return db.select_one("projects", {"id": project_id})

def project_role(db, user_id, project_id):
    project = org_of(db, project_id)
    return member_role(db, user_id, project["org_id"])
"""


def test_a_function_handed_the_principal_decides_access_itself(tmp_path: Path) -> None:
    """The path id it also gets is not a leak where it enters: whatever the function
    reads to decide is judged inside, once, not at every route that asks it."""
    root = _project(
        tmp_path,
        {
            "rbac.py": ROLE_CHECK,
            "api.py": '@router.get("/projects/{project_id}/tasks")\n'
            "def tasks(db, project_id: str, current_user):\n"
            '    if not project_role(db, current_user["user_id"], project_id):\n'
            "        raise PermissionError(project_id)\n",
        },
    )
    assert _codes(_run(root)) == {("rbac.py", 3, "ORG001")}


def test_the_same_function_handed_no_principal_is_a_leak_where_the_id_enters(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path,
        {
            "rbac.py": ROLE_CHECK,
            "api.py": '@router.get("/projects/{project_id}/tasks")\n'
            "def tasks(db, project_id: str, someone: str, current_user):\n"
            "    return project_role(db, someone, project_id)\n",
        },
    )
    assert _codes(_run(root)) == {("api.py", 3, "ORG001")}


def test_a_function_handed_the_principal_but_not_guarding_is_no_access_check(
    tmp_path: Path,
) -> None:
    """Its result is returned, not tested: the principal may only be the new row's
    owner (`import_json(body, user_id)`), so the path id is a leak where it enters."""
    root = _project(
        tmp_path,
        {
            "rbac.py": ROLE_CHECK,
            "api.py": '@router.get("/projects/{project_id}/tasks")\n'
            "def tasks(db, project_id: str, current_user):\n"
            '    return project_role(db, current_user["user_id"], project_id)\n',
        },
    )
    assert _codes(_run(root)) == {("api.py", 3, "ORG001")}


STORE = """
class ThreadStore:
    def create(self, db, org_id):
        created = db.insert("threads", {"clerk_org_id": org_id})
        return created["id"]

    def load(self, db, thread_id):
        return db.select_one("threads", {"id": thread_id})
"""


def test_an_id_a_helper_has_just_created_proves_the_query_with_a_warning(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "store.py": STORE,
            "runner.py": (
                "from store import ThreadStore\n\n"
                "class Runner:\n"
                "    def __init__(self, store: ThreadStore):\n"
                "        self.store = store\n\n"
                "    def start(self, db, org_id):\n"
                "        thread_id = self.store.create(db, org_id)\n"
                "        return self.store.load(db, thread_id)\n"
            ),
        },
    )
    result = _run(root)
    judged = judge_at(result, "store.py", 8)
    assert judged.proof is Proof.VERIFIED
    assert [check.created for check in judged.checks] == [True]
    assert ("store.py", 8, "ORG013") in _codes(result)


def test_an_id_read_rather_than_created_proves_nothing(tmp_path: Path) -> None:
    reading = STORE.replace(
        'db.insert("threads", {"clerk_org_id": org_id})',
        'db.select_one("threads", {"name": org_id})',
    )
    root = _project(
        tmp_path,
        {
            "store.py": reading,
            "runner.py": (
                "from store import ThreadStore\n\n"
                "def start(db, org_id):\n"
                "    store = ThreadStore()\n"
                "    return store.load(db, store.create(db, org_id))\n"
            ),
        },
    )
    assert _proof(_run(root), "store.py", 8) is Proof.UNPROVEN


@pytest.mark.parametrize(
    ("rebinding", "proof"),
    [
        ("", Proof.VERIFIED),
        ("    def swap(self, other):\n        self.store = other\n", Proof.UNPROVEN),
    ],
    ids=["one binding", "bound to something else too"],
)
def test_an_attribute_bound_to_one_class_makes_its_calls_known(
    tmp_path: Path, rebinding: str, proof: Proof
) -> None:
    root = _project(
        tmp_path,
        {
            "store.py": STORE,
            "runner.py": (
                "from store import ThreadStore\n\n"
                "class Runner:\n"
                "    def __init__(self):\n"
                "        self.store = ThreadStore()\n\n"
                f"{rebinding}"
                "    def start(self, db, org_id):\n"
                "        thread_id = ThreadStore().create(db, org_id)\n"
                "        return self.store.load(db, thread_id)\n"
            ),
        },
    )
    assert _proof(_run(root), "store.py", 8) is proof


def test_calls_in_test_code_are_no_call_sites(tmp_path: Path) -> None:
    helper = "def load(db, thread_id):\n    return db.select_one('threads', {'id': thread_id})\n"
    route = "from store import load\n\ndef handler(db, user_id):\n    return load(db, user_id)\n"
    test = "from store import load\n\ndef test_load(db):\n    assert load(db, 'made-up')\n"
    mock = (
        "def patch(monkeypatch, store):\n    monkeypatch.setattr(store, 'load', print)\n    load\n"
    )
    root = _project(
        tmp_path,
        {"store.py": helper, "app.py": route, "tests/test_store.py": test, "conftest.py": mock},
    )
    config = replace(load_config(start=root), principal_names=("user_id",))
    result = run([root], config, cwd=root, jobs=1, use_cache=False)
    assert judge_at(result, "store.py", 2).proof is Proof.OWNER


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_store.py", True),
        ("backend/tests/helpers.py", True),
        ("app/store_test.py", True),
        ("conftest.py", True),
        ("app/testing.py", False),
        ("app/contest.py", False),
        ("/elsewhere/tests/project/app/store.py", False),
    ],
)
def test_test_modules_are_found_by_name_below_the_project(path: str, is_test: bool) -> None:
    from orgscope_lint.project import test_module

    assert test_module(path, Path("/elsewhere/tests/project")) is is_test


OWN_NOTES = (
    "def notes_of(db, user_id):\n"
    '    return db.select("notes", {"user_id": user_id})\n\n'
    '@router.get("/notes")\ndef mine(db, current_user):\n'
    '    return notes_of(db, current_user["user_id"])\n'
)


def test_a_call_reaches_the_function_its_own_module_defines(tmp_path: Path) -> None:
    # Another module's function of the same name is not what `notes_of(...)` calls here.
    other = '"""An example."""\n' + OWN_NOTES.replace('current_user["user_id"]', "user_id").replace(
        "def mine(db, current_user)", "def theirs(db, current_user, user_id: str)"
    )
    root = _project(tmp_path, {"notes.py": OWN_NOTES, "example.py": other})
    result = _run(root)
    assert _proof(result, "notes.py", 2) is Proof.OWNER
    assert _proof(result, "example.py", 3) is Proof.LEAK


@pytest.mark.parametrize(
    ("route", "mine", "copy"),
    [
        # api.py imports notes.py's `notes_of`: the request's id reaches that one only.
        (
            "from notes import notes_of\n\n"
            '@router.get("/users/{user_id}/notes")\ndef theirs(db, current_user, user_id: str):\n'
            "    return notes_of(db, user_id)\n",
            Proof.LEAK,
            Proof.OWNER,
        ),
        # Which `notes_of` a star import brings is not followed: neither is proven by it.
        (
            "from notes import *\n\n"
            '@router.get("/all")\ndef everyone(db, current_user):\n'
            '    return notes_of(db, current_user["user_id"])\n',
            Proof.UNPROVEN,
            Proof.UNPROVEN,
        ),
    ],
)
def test_a_call_of_a_name_two_modules_define_reaches_the_one_imported(
    tmp_path: Path, route: str, mine: Proof, copy: Proof
) -> None:
    root = _project(tmp_path, {"notes.py": OWN_NOTES, "copy.py": OWN_NOTES, "api.py": route})
    result = _run(root)
    assert _proof(result, "notes.py", 2) is mine
    assert _proof(result, "copy.py", 2) is copy


def test_a_call_reaches_the_function_a_package_reexports(tmp_path: Path) -> None:
    caller = (
        "from store import notes_of\n\n"
        '@router.get("/users/{user_id}/notes")\ndef theirs(db, current_user, user_id: str):\n'
        "    return notes_of(db, user_id)\n"
    )
    files = {
        "store/__init__.py": "from .notes import notes_of\n",
        "store/notes.py": OWN_NOTES,
        "archive.py": OWN_NOTES,  # another `notes_of`, which api.py does not import
        "api.py": caller,
    }
    result = _run(_project(tmp_path, files))
    # The request's id reaches the one `store/__init__.py` imports, not the other.
    assert _proof(result, "store/notes.py", 2) is Proof.LEAK
    assert _proof(result, "archive.py", 2) is Proof.OWNER


# A request model handed on after a lookup verified the one field of it the callee uses.
CONVERSATIONS = (
    "def history(db, conversation_id):\n"
    '    return db.select("messages", {"conversation_id": conversation_id})\n\n'
    "def answer(db, request):\n"
    "    return history(db, request.conversation_id)\n"
)
SCHEMA = (
    "create table conversations (id uuid primary key, clerk_org_id text not null);\n"
    "create table messages (id uuid primary key,"
    " conversation_id uuid references conversations(id), body text);\n"
)


def _chat_route(check: str) -> str:
    return (
        "from chat import answer\n\n"
        '@router.post("/chat")\ndef chat(db, request: ChatRequest, current_user):\n'
        f"{check}"
        "    return answer(db, request)\n"
    )


@pytest.mark.parametrize(
    ("check", "proof"),
    [
        (  # the conversation is found in the caller's organization first
            '    found = db.table("conversations").select("id").eq("id", request.conversation_id)'
            '.eq("clerk_org_id", current_user["org_id"]).execute()\n'
            "    if not found.data:\n        raise HTTPException(404)\n",
            Proof.VERIFIED,
        ),
        ("", Proof.LEAK),  # nothing checked it
        (  # another field was checked, not the one `answer` uses
            '    found = db.table("conversations").select("id").eq("id", request.other_id)'
            '.eq("clerk_org_id", current_user["org_id"]).execute()\n'
            "    if not found.data:\n        raise HTTPException(404)\n",
            Proof.LEAK,
        ),
    ],
)
def test_a_field_verified_before_the_model_is_handed_on(
    tmp_path: Path, check: str, proof: Proof
) -> None:
    files = {
        "migrations/001.sql": SCHEMA,
        "chat.py": CONVERSATIONS,
        "api.py": _chat_route(check),
    }
    result = _run(_project(tmp_path, files))
    (facts,) = [facts for facts in result.facts if facts.path == "chat.py"]
    fn = facts.function("history")
    assert fn is not None
    assert param_proof(fn, "chat.py", "conversation_id", result.project) is proof
