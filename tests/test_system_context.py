"""System code recognised with no configuration, only where its guard is visible."""

from __future__ import annotations

import ast
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgscope_lint.analysis import system_context
from orgscope_lint.cli import cli

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "system_context_detected"


def detected(source: str) -> dict[str, system_context.Detected]:
    tree = ast.parse(textwrap.dedent(source))
    found = system_context.detect(tree)
    return {
        fn.name: found.at(fn.lineno)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def reason_of(source: str, name: str) -> str | None:
    return detected(source)[name].reason


SIGNED = {
    "svix": """
        @router.post("/hook")
        async def hook(request):
            wh = Webhook(secret)
            event = wh.verify(await request.body(), dict(request.headers))
        """,
    "stripe": """
        @router.post("/hook")
        async def hook(request):
            event = stripe.Webhook.construct_event(body, sig, secret)
        """,
    "hmac": """
        @router.post("/hook")
        async def hook(request, x_signature: str = Header(...)):
            if not hmac.compare_digest(expected(request), x_signature):
                raise HTTPException(401)
        """,
    "hmac-helper": """
        def check(body, signature):
            if not secrets.compare_digest(sign(body), signature):
                return False_response()

        @router.post("/hook")
        async def hook(request):
            check(await request.body(), request.headers["x-sig"])
        """,
    "answering-helper": """
        def signature_ok(body, signature):
            expected = sign(body)
            valid = hmac.compare_digest(expected, signature)
            return valid

        @router.post("/hook")
        async def hook(request):
            try:
                if not signature_ok(await request.body(), request.headers["x-sig"]):
                    raise HTTPException(401)
            except ValueError:
                raise HTTPException(400)
        """,
    "digest bound to a name first": """
        def verify_signature(raw_body, signature_header):
            received = signature_header.split("=", 1)[1]
            expected = hmac.new(settings.APP_SECRET.encode(), raw_body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(received, expected)

        @router.post("/hook")
        async def hook(request):
            raw_body = await request.body()
            if not verify_signature(raw_body, request.headers.get("x-sig")):
                return Response(content="Forbidden", status_code=403)
        """,
}


@pytest.mark.parametrize("source", SIGNED.values(), ids=SIGNED.keys())
def test_a_verified_webhook_is_system_context(source: str) -> None:
    assert (reason_of(source, "hook") or "").startswith("webhook: ")


UNSIGNED = {
    "no check": """
        @router.post("/hook")
        async def hook(request):
            event = await request.json()
        """,
    "digest only logged": """
        @router.post("/hook")
        async def hook(request):
            if not hmac.compare_digest(a, b):
                logger.warning("bad signature")
        """,
    "verify of something else": """
        @router.post("/hook")
        async def hook(request, token):
            jwt_client.verify(token)
        """,
    "answer ignored": """
        def signature_ok(body, signature):
            return hmac.compare_digest(sign(body), signature)

        @router.post("/hook")
        async def hook(request):
            if not signature_ok(await request.body(), request.headers["x-sig"]):
                logger.warning("bad signature")
        """,
    "answer checked only when a secret is set": """
        def signature_ok(body, signature):
            return hmac.compare_digest(sign(body), signature)

        @router.post("/hook")
        async def hook(request):
            if settings.SECRET:
                if not signature_ok(await request.body(), request.headers["x-sig"]):
                    raise HTTPException(401)
        """,
    "a one-time code compared in constant time": """
        @router.post("/hook")
        async def hook(data: VerifyCode):
            stored = codes[data.phone]
            if not hmac.compare_digest(stored["code"], data.code):
                raise HTTPException(401)
        """,
    "a tenant's secret, the tenant chosen by the request": """
        def verify_meta_signature(raw_body, signature_header, tenant_id):
            app_secret = get_setting("meta_app_secret", tenant_id=tenant_id)
            received = signature_header.split("=", 1)[1]
            expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(received, expected)

        @router.post("/hook")
        async def hook(request):
            raw_body = await request.body()
            tenant_id = first_entry_tenant(raw_body)
            if not verify_meta_signature(raw_body, request.headers.get("x-sig"), tenant_id):
                return Response(content="Forbidden", status_code=403)
        """,
    "a code bound to a name, compared in constant time": """
        @router.post("/hook")
        async def hook(data: VerifyCode):
            expected = codes[data.phone]["code"]
            received = data.code
            if not hmac.compare_digest(received, expected):
                raise HTTPException(401)
        """,
    "answer not from a digest": """
        def signature_ok(body, signature):
            hmac.compare_digest(sign(body), signature)
            return True

        @router.post("/hook")
        async def hook(request):
            if not signature_ok(await request.body(), request.headers["x-sig"]):
                raise HTTPException(401)
        """,
}


@pytest.mark.parametrize("source", UNSIGNED.values(), ids=UNSIGNED.keys())
def test_an_unverified_webhook_is_not(source: str) -> None:
    assert reason_of(source, "hook") is None


GUARDS = """
def staff(user=Depends(get_current_user)):
    if not user.get("is_superuser"):
        raise HTTPException(403)
    return user

def org_admin(user=Depends(get_current_user)):
    if user["org_role"] != "org:admin":
        raise HTTPException(403)
    return user

def role_admin(user=Depends(get_current_user)):
    if user["role"] != "platform_admin":
        raise HTTPException(403)
    return user

def lenient(user=Depends(get_current_user)):
    if not user.get("is_superuser"):
        user["note"] = "not staff"
    return user
"""


def test_platform_role_guards_are_told_from_tenant_roles() -> None:
    found = detected(GUARDS)
    assert found["staff"].platform_guard and "is_superuser" in found["staff"].platform_guard
    assert found["role_admin"].platform_guard
    assert found["org_admin"].platform_guard is None
    assert found["lenient"].platform_guard is None


JOBS = """
@scheduler.scheduled_job("cron", hour=3)
def nightly():
    pass

@celery_app.task
def send():
    pass

@repeat_every(seconds=60)
async def tick():
    pass

def purge():
    pass

def main():
    pass

def helper():
    pass

@router.get("/x")
def route():
    pass

scheduler.add_job(purge, "interval", hours=1)

if __name__ == "__main__":
    main()
"""


def test_job_and_script_entry_points() -> None:
    found = detected(JOBS)
    for name in ("nightly", "send", "tick", "purge", "main"):
        assert found[name].reason, name
    assert found["helper"].reason is None
    assert found["route"].reason is None


def _json(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["check", str(CASE), "--no-cache", *args])
    return json.loads(result.output)


def test_detected_system_context_is_suppressed_with_its_reason_in_sarif() -> None:
    sarif = _json(["--output-format", "sarif"])
    results = sarif["runs"][0]["results"]
    justifications = [
        s.get("justification", "") for r in results for s in r.get("suppressions", [])
    ]
    assert any("Webhook.verify" in j for j in justifications), justifications
    assert any("require_platform_admin" in j for j in justifications), justifications
    assert any("scheduled job" in j for j in justifications), justifications
    active = [r for r in results if not r.get("suppressions")]
    assert active, "the unverified webhook and the tenant-admin route must stay reported"


def test_verbose_and_audit_name_the_detected_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(CASE, project)  # the audit writes its cache beside the project
    monkeypatch.chdir(project)
    verbose = CliRunner().invoke(cli, ["check", ".", "--no-cache", "-v"])
    assert "suppressed ORG001 at app/api/webhooks.py" in verbose.stderr
    audit = CliRunner().invoke(cli, ["audit", ".", "--format", "json"])
    skipped = json.loads(audit.output)["skipped"]
    kinds = {item["kind"] for item in skipped}
    assert "system-context" in kinds
    assert any("construct_event" in item["reason"] for item in skipped)


HANDLERS = """
class WebhookService:
    async def process(self, request):
        event = stripe.Webhook.construct_event(payload, sig, secret)
        if event.type == "refund":
            await self._handle_refund(event)
        await self._shared(event)

    async def _handle_refund(self, event):
        await self._record(event)

    async def _record(self, event):
        pass

    async def _shared(self, event):
        pass

    async def public_handler(self, event):
        pass

@router.post("/other")
async def other(request):
    await service._shared(await request.json())
"""


def test_private_handlers_reached_only_from_a_verified_webhook() -> None:
    found = detected(HANDLERS)
    assert "construct_event" in (found["_handle_refund"].reason or "")
    assert "construct_event" in (found["_record"].reason or "")  # transitively
    assert found["_shared"].reason is None  # also called from an unverified route
    assert found["public_handler"].reason is None  # another module may call it


INLINE = """
@router.get("/admin/brokers")
async def brokers(user=Depends(get_current_user)):
    if not storage.is_super_admin(user["id"]):
        raise HTTPException(403)

@router.post("/reconcile")
async def reconcile(admin_key: str = Query(None)):
    if admin_key != config.get("ADMIN_API_KEY"):
        raise HTTPException(403)

@router.get("/org/brokers")
async def org_brokers(user=Depends(get_current_user)):
    if not user["is_org_admin"]:
        raise HTTPException(403)
"""


def test_routes_checking_a_platform_role_inline() -> None:
    found = detected(INLINE)
    assert "is_super_admin" in (found["brokers"].reason or "")
    assert "admin_key" in (found["reconcile"].reason or "")
    assert found["org_brokers"].reason is None


def test_cli_commands_only_in_a_module_using_a_cli_framework() -> None:
    commands = """
    app = typer.Typer()

    @app.command("mine")
    def mine():
        pass
    """
    assert reason_of("import typer\n" + textwrap.dedent(commands), "mine")
    assert reason_of("import discord\n" + textwrap.dedent(commands), "mine") is None


TASKS = """
@dramatiq.actor
def export(report_id):
    return _step(report_id)

def _step(report_id):
    return report_id

@scheduler.scheduled_job("cron", hour=1)
def rollup():
    return _tally()

def _tally():
    return 1

def _shared(x):
    return x

@app.task
def a(x):
    return _shared(x)

@router.post("/hook")
def b(body, sig):
    event = stripe.Webhook.construct_event(body, sig, secret)
    return _shared(event)
"""


def test_system_context_names_the_tasks_it_comes_from() -> None:
    """Lifted when the project enqueues one of them (`suppressions`): a scheduler's own
    registration is never enqueued, so it names none."""
    found = detected(TASKS)
    assert found["export"].tasks == {"export"}
    assert found["_step"].tasks == {"export"}
    assert found["rollup"].reason and not found["rollup"].tasks
    assert found["_tally"].reason and not found["_tally"].tasks
    assert found["b"].reason and not found["b"].tasks
    assert found["_shared"].tasks == {"a"}  # a webhook's step too: the task decides


# A verified webhook and an admin-only route in one module hand their work to services
# in another: the services run only for them, unless a request route calls them too.
CROSS_ROUTES = """
import stripe
from fastapi import APIRouter, Depends, Request

from app.services import BillingService, customer_account, refresh_usage

router = APIRouter()
billing = BillingService()


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request):
    event = stripe.Webhook.construct_event(await request.body(), request.headers["sig"], "s")
    await billing.renew(event["data"]["object"]["customer"])
    customer_account(event["data"]["object"]["customer"])
    refresh_usage(event["data"]["object"]["customer"])


@router.get("/usage/{customer_id}")
async def usage(customer_id: str, current_user=Depends(get_current_user)):
    return refresh_usage(customer_id)
"""
CROSS_SERVICES = """
from app.db import client


class BillingService:
    async def renew(self, customer_id):
        return client.table("customers").select("*").eq("customer_id", customer_id).execute()


def customer_account(customer_id):
    return client.table("customers").select("account_id").eq("customer_id", customer_id).execute()


def refresh_usage(customer_id):
    return client.table("customers").select("usage").eq("customer_id", customer_id).execute()
"""
CROSS_SCHEMA = "create table customers (customer_id text, account_id uuid, usage int);\n"


def _cross_project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "migrations").mkdir()
    (root / "app" / "routes.py").write_text(CROSS_ROUTES, encoding="utf-8")
    (root / "app" / "services.py").write_text(CROSS_SERVICES, encoding="utf-8")
    (root / "migrations" / "001.sql").write_text(CROSS_SCHEMA, encoding="utf-8")
    config = '[tool.orgscope-lint]\ntenant-key = "account_id"\nprincipal-names = ["current_user"]\n'
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def _services_findings(args: list[str]) -> dict[int, str]:
    """Line -> why it is suppressed ("" when reported) for the findings in services.py."""
    result = CliRunner().invoke(cli, ["check", *args, "-v"])
    found: dict[int, str] = {}
    for line in result.stdout.splitlines():
        if line.startswith("app/services.py:") and ": ORG" in line:
            found[int(line.split(":")[1])] = ""
    for line in result.stderr.splitlines():
        prefix = "  suppressed ORG001 at app/services.py:"
        if line.startswith(prefix):
            number, why = line[len(prefix) :].split(": ", 1)
            found[int(number)] = why
    return found


SECRETS = """
def header_token(token=Header(...)):
    if not token or token != settings.AUTH_TOKEN:
        raise HTTPException(401)

def env_key(key=Header(...)):
    if key != os.environ["OPS_API_KEY"]:
        raise HTTPException(401)

def digest(sig=Header(...)):
    if not hmac.compare_digest(sig, os.getenv("OPS_SECRET")):
        raise HTTPException(401)

def constant(token=Header(...)):
    if token != API_PASSWORD:
        raise HTTPException(401)

def from_the_row(key=Header(...)):
    row = lookup(key)
    if key != row["api_key"]:
        raise HTTPException(401)

def tenant_named(token=Header(...)):
    if token != settings.TENANT_API_TOKEN:
        raise HTTPException(401)

def not_a_secret(region=Header(...)):
    if region != settings.DEFAULT_REGION:
        raise HTTPException(400)

def two_settings():
    if settings.AUTH_TOKEN != settings.OTHER_TOKEN:
        raise HTTPException(500)

def only_logged(token=Header(...)):
    if token != settings.AUTH_TOKEN:
        log("bad token")
"""


def test_a_dependency_holding_the_caller_to_the_deployments_secret() -> None:
    found = detected(SECRETS)
    for name, secret in [
        ("header_token", "settings.AUTH_TOKEN"),
        ("env_key", "os.environ['OPS_API_KEY']"),
        ("digest", "os.getenv('OPS_SECRET')"),
        ("constant", "API_PASSWORD"),
    ]:
        assert f"deployment's secret (`{secret}`)" in (found[name].platform_guard or ""), name
    for name in ("from_the_row", "tenant_named", "not_a_secret", "two_settings", "only_logged"):
        assert found[name].platform_guard is None, name


CRON_ROUTES = """
def verify_cron(secret: str = Header(None)):
    if secret != settings.cron_secret:
        raise HTTPException(401)

def log_call(secret: str = Header(None)):
    log(secret)

@router.post("/internal/pm")
async def guarded(x_cron_secret: str = Header(None)):
    \"\"\"Cron job.\"\"\"
    verify_cron(x_cron_secret)
    return run_all()

@router.post("/internal/late")
async def checked_late(x_cron_secret: str = Header(None)):
    rows = run_all()
    verify_cron(x_cron_secret)
    return rows

@router.post("/internal/branch")
async def in_a_branch(x_cron_secret: str = Header(None), manual: bool = False):
    if manual:
        verify_cron(x_cron_secret)
    return run_all()

@router.post("/internal/logged")
async def only_logged(x_cron_secret: str = Header(None)):
    log_call(x_cron_secret)
    return run_all()
"""


def test_a_route_that_first_calls_a_secret_check_is_system_context() -> None:
    found = detected(CRON_ROUTES)
    assert "route calls `verify_cron`" in (found["guarded"].reason or "")
    assert "deployment's secret" in (found["guarded"].reason or "")
    for name in ("checked_late", "in_a_branch", "only_logged"):
        assert name not in found or found[name].reason is None, name


STARTUP = """
@asynccontextmanager
async def lifespan(app):
    yield

app = FastAPI(lifespan=lifespan)
other = Starlette(on_startup=[warm], on_shutdown=(drain,))
app.add_event_handler("shutdown", close)

@app.on_event("startup")
async def boot():
    asyncio.create_task(_loop())

async def _loop():
    pass

@app.on_event("request")
async def odd():
    pass

async def warm():
    pass

async def drain():
    pass

async def close():
    pass

async def serve():
    pass
"""


def test_startup_and_shutdown_hooks_and_the_loops_they_start() -> None:
    found = detected(STARTUP)
    assert "startup hook" in (found["boot"].reason or "")
    for name in ("lifespan", "warm", "drain", "close"):
        assert "startup hook" in (found[name].reason or ""), name
    assert "called only from `boot`" in (found["_loop"].reason or "")
    # An event the server does not run at startup or shutdown, and a plain function.
    assert found["odd"].reason is None
    assert found["serve"].reason is None


def test_functions_called_only_from_system_code_in_another_file_are_system_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _cross_project(tmp_path / "project")
    monkeypatch.chdir(root)
    found = _services_findings([".", "--no-cache"])
    renew, account, usage = 7, 11, 15
    # Reached only from the verified webhook: reported as suppressed, with the reason.
    assert "called only from `stripe_webhook` (webhook:" in found[renew]
    assert "construct_event" in found[account]
    # Also called from a request route with an id from the path: not system code.
    assert found[usage] == ""
    # A partial run on the services file alone decides the same from the summaries.
    cache = ["--cache-dir", str(tmp_path / "cache")]
    full = _services_findings([".", *cache])
    with (root / "app" / "services.py").open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    assert _services_findings(["app/services.py", *cache]) == full == found


VERIFIER = """
import stripe


class StripeService:
    def construct_webhook_event(self, payload, signature):
        return stripe.Webhook.construct_event(payload, signature, "secret")


stripe_service = StripeService()
"""
# What the webhooks below hand the customer id to.
CUSTOMER_HELPERS = """
async def renew(customer_id):
    return client.table("customers").select("*").eq("customer_id", customer_id).execute()


async def expire(customer_id):
    return client.table("customers").select("*").eq("customer_id", customer_id).execute()
"""
VERIFIED_ELSEWHERE = """
from fastapi import APIRouter, Request

from app.db import client
from app.stripe_service import stripe_service

router = APIRouter()


@router.post("/billing/webhook")
async def billing_webhook(request: Request):
    event = stripe_service.construct_webhook_event(await request.body(), request.headers["sig"])
    client.table("webhook_events").insert({"id": event["id"]}).execute()
    await renew(event["data"]["object"]["customer"])


@router.post("/billing/unsigned")
async def unsigned_webhook(request: Request):
    event = await request.json()
    await expire(event["customer"])

"""


def _webhook_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, verifier: str, routes: str
) -> dict[int, str]:
    """The findings in services.py of a project whose webhook routes (`routes`, then the
    customer helpers) rely on the verifier of `app/<module>.py`."""
    root = _cross_project(tmp_path / "project")
    (root / "app" / f"{module}.py").write_text(verifier, encoding="utf-8")
    (root / "app" / "services.py").write_text(routes + CUSTOMER_HELPERS, encoding="utf-8")
    monkeypatch.chdir(root)
    return _services_findings([".", "--no-cache"])


def test_a_webhook_verified_by_a_function_of_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _webhook_project(tmp_path, monkeypatch, "stripe_service", VERIFIER, VERIFIED_ELSEWHERE)
    renew, expire = 24, 28
    assert (
        "called only from `billing_webhook` (webhook: calls `construct_webhook_event`"
        in (found[renew])
    )
    assert found[expire] == ""  # its webhook verifies nothing
    # The route itself is the verified webhook: what it reads is system context too.


ANSWERING_VERIFIER = """
import hmac


class ResendVerifier:
    def __init__(self, secret):
        self.secret = secret

    def verify_signature(self, payload, header):
        if not header:
            return False
        is_valid = hmac.compare_digest(header, sign(self.secret, payload))
        return is_valid
"""
ANSWERED_ELSEWHERE = """
from fastapi import APIRouter, HTTPException, Request

from app.db import client
from app.verifier import ResendVerifier

router = APIRouter()


@router.post("/mail/webhook")
async def mail_webhook(request: Request):
    verifier = ResendVerifier("secret")
    if not verifier.verify_signature(await request.body(), request.headers.get("sig")):
        raise HTTPException(401)
    client.table("webhook_events").insert({"id": request.headers["id"]}).execute()
    await renew(request.headers["customer"])


@router.post("/mail/logged")
async def logged_webhook(request: Request):
    verifier = ResendVerifier("secret")
    if not verifier.verify_signature(await request.body(), request.headers.get("sig")):
        print("bad signature")
    client.table("webhook_events").insert({"id": request.headers["id"]}).execute()
    await expire(request.headers["customer"])


@router.post("/mail/optional")
async def optional_webhook(request: Request):
    verifier = ResendVerifier("secret")
    if SECRET:  # unset, and nothing is checked
        if not verifier.verify_signature(await request.body(), request.headers.get("sig")):
            raise HTTPException(401)
    client.table("webhook_events").insert({"id": request.headers["id"]}).execute()
    await expire(request.headers["customer"])

"""


def test_a_webhook_rejected_unless_another_modules_verifier_answers_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _webhook_project(
        tmp_path, monkeypatch, "verifier", ANSWERING_VERIFIER, ANSWERED_ELSEWHERE
    )
    # The helpers are judged where the header's customer id enters them.
    renew, expire, optional = 16, 25, 35
    assert "rejected unless `verify_signature`" in found[renew]
    assert found[expire] == ""  # the answer is only logged: the request goes on
    assert found[optional] == ""  # checked only when a secret is set


ROUTES = """
from fastapi import APIRouter

router = APIRouter()
other = APIRouter()


@router.get("/org/{org_id}")
def list_invites(org_id): ...


@router.get("/org/{invite_id}")
def read_invite(invite_id): ...


@router.put("/org/{invite_id}")
def update_invite(invite_id): ...


@other.get("/org/{invite_id}")
def read_other(invite_id): ...


@router.get("/items/{item_id:int}")
def item_by_number(item_id): ...


@router.get("/items/{slug}")
def item_by_slug(slug): ...


@router.get("/org/{org_id}/members")
def members(org_id): ...


@router.get("/sessions/{session_id}")
def read_session(session_id): ...


@router.get("/sessions/resume")
def resume_session(email): ...


@router.get("/runs/{run_id:int}")
def read_run(run_id): ...


@router.get("/runs/latest")
def latest_run(): ...


@router.get("/runs/7")
def lucky_run(): ...


@router.get("/files/{name}")
def read_file(name): ...


@router.get("/files/{folder:path}")
def read_folder(folder): ...
"""


def test_a_route_an_earlier_route_always_answers_is_unreachable() -> None:
    found = detected(ROUTES)
    assert "answered first by `list_invites` (line 9" in (found["read_invite"].reason or "")
    # A literal segment an earlier parameter already matches: `resume` is a session id.
    assert "answered first by `read_session`" in (found["resume_session"].reason or "")
    assert "answered first by `read_run`" in (found["lucky_run"].reason or "")
    # Another method, another router, a converter that lets other paths through, a
    # longer path, a literal an int converter refuses, a path parameter wider than a
    # segment: each is reached.
    reached = ("list_invites", "update_invite", "read_other", "item_by_slug", "members")
    for name in (*reached, "read_session", "latest_run", "read_run", "read_folder"):
        assert found[name].reason is None, name
