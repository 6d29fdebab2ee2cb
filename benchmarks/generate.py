"""Generate a realistic multi-tenant FastAPI + Supabase backend of a requested size.

    python benchmarks/generate.py OUT --lines 400000 --seed 1

The corpus looks like the backends orgscope-lint is written for: a `DatabaseService` with
select/select_one/count/insert/update/delete and scoped `get_*` helpers, routers per
domain, service classes, pydantic schemas, utilities, background jobs, tests and SQL
migrations whose tenant tables carry `clerk_org_id`. About three files in four touch the
database. A small share of the database calls is planted with a tenant-isolation bug
(filter or record without `clerk_org_id`, scoped helper called without the org); every
planted bug is listed in `benchmarks_manifest.json` with its path, line and rule code.

The output depends only on `--lines` and `--seed`: the same pair gives the same bytes.
"""

# The templates below hold generated code, whose lines are as long as real code's.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template

MANIFEST = "benchmarks_manifest.json"
# Changes with this file, so that a kept corpus is regenerated when the generator changes.
GENERATOR_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
TENANT_KEY = "clerk_org_id"

# Probability that an eligible call site carries a planted bug (per rule code).
BUG_RATES: dict[str, float] = {"ORG001": 0.055, "ORG003": 0.07, "ORG004": 0.12}

# Marker appended to the line where a planted faulty call starts; stripped on output.
_BUG_MARK = re.compile(r"  # <<BUG:(ORG\d{3}):([a-z-]+)>>$")

DB_CALL = re.compile(
    r"\b(?:self\.)?(?:db|admin_db)\.(?:select|select_one|count|insert|update|delete|get_\w+)\("
)

DOMAINS = (
    "billing",
    "crm",
    "telephony",
    "content",
    "analytics",
    "support",
    "scheduling",
    "messaging",
    "inventory",
    "marketing",
    "compliance",
    "workflows",
    "integrations",
    "knowledge",
    "reporting",
    "people",
)
NOUNS = (
    "invoice",
    "payment",
    "subscription",
    "ticket",
    "note",
    "tag",
    "contact",
    "lead",
    "deal",
    "call",
    "recording",
    "transcript",
    "voice",
    "agent",
    "campaign",
    "template",
    "message",
    "thread",
    "attachment",
    "document",
    "article",
    "folder",
    "report",
    "dashboard",
    "widget",
    "schedule",
    "appointment",
    "reminder",
    "task",
    "project",
    "milestone",
    "asset",
    "webhook",
    "integration",
    "audit_event",
    "policy",
    "consent",
    "segment",
    "audience",
    "experiment",
    "survey",
    "response",
    "comment",
    "rating",
    "shift",
    "team",
    "invitation",
    "api_key",
    "export",
    "import_job",
    "queue",
    "skill",
    "script",
    "product",
    "order",
    "shipment",
    "refund",
    "coupon",
    "credit",
    "playbook",
)
GLOBAL_TABLES = (
    "plans",
    "feature_flags",
    "countries",
    "currencies",
    "timezones",
    "voice_library",
    "integration_catalog",
)
STATUSES = ("draft", "active", "paused", "archived", "failed", "completed")


@dataclass(frozen=True)
class Column:
    name: str
    py_type: str
    sql: str
    example: str


OPTIONAL_COLUMNS = (
    Column("name", "str", "text not null", '"Quarterly review"'),
    Column("description", "str | None", "text", '"Imported from the legacy system"'),
    Column("priority", "int", "integer not null default 0", "3"),
    Column("amount_cents", "int", "bigint not null default 0", "12900"),
    Column("currency", "str", "text not null default 'usd'", '"usd"'),
    Column("due_at", "datetime | None", "timestamptz", "None"),
    Column("external_id", "str | None", "text", '"ext_4821"'),
    Column("is_archived", "bool", "boolean not null default false", "False"),
    Column("tags", "list[str]", "text[] not null default '{}'", '["vip", "q3"]'),
    Column("email", "str | None", "text", '"ops@example.com"'),
    Column("phone_number", "str | None", "text", '"+15550100"'),
    Column("score", "float | None", "numeric", "0.82"),
    Column("notes", "str | None", "text", '"Call back after lunch"'),
    Column("language", "str", "text not null default 'en-US'", '"en-US"'),
    Column("duration_seconds", "int", "integer not null default 0", "95"),
    Column("assignee_id", "str | None", "text", '"user_2f9"'),
)


@dataclass(frozen=True)
class Entity:
    index: int
    domain: str
    noun: str
    columns: tuple[Column, ...]
    parent: Entity | None
    helper: str  # name of its scoped helper on DatabaseService, "" when it has none
    inline_schemas: bool

    @property
    def plural(self) -> str:
        return plural(self.noun)

    @property
    def table(self) -> str:
        return f"{self.domain}_{self.plural}"

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.noun.split("_"))

    @property
    def module(self) -> str:
        return f"app/api/{self.domain}/{self.noun}.py"

    def subs(self, tenant: str = TENANT_KEY) -> dict[str, str]:
        first = self.columns[0]
        return {
            "noun": self.noun,
            "plural": self.plural,
            "table": self.table,
            "Cls": self.cls,
            "domain": self.domain,
            "label": self.noun.replace("_", " "),
            "org": tenant,
            "col": first.name,
            "col_example": first.example,
            "parent": self.parent.noun if self.parent else "",
            "parent_table": self.parent.table if self.parent else "",
        }


@dataclass(frozen=True)
class Planted:
    path: str
    line: int
    code: str
    kind: str


@dataclass
class Corpus:
    root: Path
    target: int
    seed: int
    rng: random.Random
    forced: list[str] = field(default_factory=lambda: ["ORG001", "ORG003", "ORG004"])
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)
    total_lines: int = 0
    reserve: int = 0  # lines of the files still to write at the end (routers, app)

    def bug(self, code: str) -> bool:
        """Whether the next eligible call site for `code` is written with a bug."""
        if code in self.forced:
            self.forced.remove(code)
            return True
        return self.rng.random() < BUG_RATES[code]

    def write(self, rel: str, text: str) -> None:
        lines = text.rstrip("\n").split("\n")
        out: list[str] = []
        for number, raw in enumerate(lines, start=1):
            match = _BUG_MARK.search(raw)
            if match:
                self.planted.append(Planted(rel, number, match.group(1), match.group(2)))
                raw = raw[: match.start()]
            out.append(raw)
        body = "\n".join(out) + "\n"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.encode("utf-8"))
        self.files[rel] = {
            "lines": len(out),
            "db": bool(DB_CALL.search(body)),
            "db_calls": len(DB_CALL.findall(body)),
        }
        self.total_lines += len(out)

    @property
    def full(self) -> bool:
        return self.total_lines + self.reserve >= self.target


def plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def t(text: str, subs: dict[str, str], **extra: str) -> str:
    """Dedent a template and fill its `$names`."""
    return Template(textwrap.dedent(text).strip("\n")).substitute({**subs, **extra}) + "\n"


def tb(text: str, subs: dict[str, str], **extra: str) -> str:
    """A function body: like `t`, indented one level."""
    return textwrap.indent(t(text, subs, **extra), "    ")


def mark(code: str, kind: str) -> str:
    return f"  # <<BUG:{code}:{kind}>>"


# --------------------------------------------------------------------------------------
# Fixed files: configuration, the DB layer, auth, the app.


def pyproject(helpers: list[Entity]) -> str:
    scoped = "\n".join(f'{e.helper} = "org_id"' for e in helpers)
    return t(
        """
        [project]
        name = "voice-ops-backend"
        version = "2.14.0"
        description = "Multi-tenant API: billing, CRM, telephony, content and more"
        requires-python = ">=3.10"
        dependencies = [
            "fastapi>=0.110",
            "supabase>=2.4",
            "pydantic>=2.6",
            "httpx>=0.27",
            "pyjwt[crypto]>=2.8",
        ]

        [project.optional-dependencies]
        dev = ["pytest>=8.0", "pytest-asyncio>=0.23"]

        [tool.orgscope-lint]
        global-tables = [$globals]

        [tool.orgscope-lint.scoped-helpers]
        $scoped
        """,
        {},
        globals=", ".join(f'"{g}"' for g in GLOBAL_TABLES),
        scoped=scoped,
    )


DATABASE_HEAD = '''
"""Supabase access. `DatabaseService` authenticates as the calling user, so row-level
security applies; `DatabaseAdminService` uses the service role for trusted jobs.

Every tenant-owned table carries `clerk_org_id`; the scoped helpers below take the
organization explicitly and filter by it.
"""

import logging
from typing import Any

from supabase import Client, create_client

from app.core.config import settings

logger = logging.getLogger(__name__)

Row = dict[str, Any]


class DatabaseError(RuntimeError):
    """A query failed in a way the caller cannot recover from."""


class DatabaseService:
    def __init__(self, token: str | None = None, org_id: str | None = None) -> None:
        self.client: Client = create_client(settings.supabase_url, settings.supabase_anon_key)
        if token:
            self.client.postgrest.auth(token)
        self.org_id = org_id

    @staticmethod
    def _apply_filters(query: Any, filters: dict[str, Any] | None) -> Any:
        for column, value in (filters or {}).items():
            if value is None:
                query = query.is_(column, "null")
            elif isinstance(value, (list, tuple, set)):
                query = query.in_(column, list(value))
            else:
                query = query.eq(column, value)
        return query

    def select(
        self,
        table: str,
        filters: dict[str, Any] | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        columns: str = "*",
    ) -> list[Row]:
        query = self._apply_filters(self.client.table(table).select(columns), filters)
        if order_by:
            query = query.order(order_by.lstrip("-"), desc=order_by.startswith("-"))
        if limit:
            query = query.limit(limit)
        try:
            response = query.execute()
        except Exception as exc:  # the client raises bare exceptions
            logger.error(f"select on {table} failed: {exc}")
            raise DatabaseError(str(exc)) from exc
        return response.data or []

    def select_one(self, table: str, filters: dict[str, Any]) -> Row | None:
        rows = self.select(table, filters, limit=1)
        return rows[0] if rows else None

    def count(self, table: str, filters: dict[str, Any] | None = None) -> int:
        query = self._apply_filters(self.client.table(table).select("id", count="exact"), filters)
        response = query.execute()
        return response.count or 0

    def insert(self, table: str, data: dict[str, Any] | list[dict[str, Any]]) -> Row | None:
        response = self.client.table(table).insert(data).execute()
        if not response.data:
            logger.error(f"Insert into {table} returned no rows")
            return None
        return response.data[0]

    def update(self, table: str, filters: dict[str, Any], data: dict[str, Any]) -> list[Row]:
        query = self._apply_filters(self.client.table(table).update(data), filters)
        response = query.execute()
        return response.data or []

    def delete(self, table: str, filters: dict[str, Any]) -> list[Row]:
        query = self._apply_filters(self.client.table(table).delete(), filters)
        response = query.execute()
        return response.data or []

    # Scoped helpers: one record of a tenant-owned table, always filtered by the org.
'''

DATABASE_TAIL = '''

class DatabaseAdminService(DatabaseService):
    """Service-role client: bypasses row-level security. Only for trusted system jobs."""

    def __init__(self, org_id: str | None = None) -> None:
        self.client: Client = create_client(settings.supabase_url, settings.supabase_service_role_key)
        self.org_id = org_id


def get_db() -> DatabaseService:
    return DatabaseService()
'''


def database_module(helpers: list[Entity]) -> str:
    parts = [textwrap.dedent(DATABASE_HEAD).strip("\n") + "\n"]
    for e in helpers:
        s = e.subs()
        parts.append(
            f"\n    def {e.helper}(self, {e.noun}_id: str, org_id: str) -> Row | None:\n"
            f'        return self.select_one("{e.table}", {{"id": {e.noun}_id, "{s["org"]}": org_id}})\n'
        )
    return "".join(parts) + textwrap.dedent(DATABASE_TAIL)


CONFIG_MODULE = '''
"""Settings read from the environment."""

import os
from dataclasses import dataclass, field


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"Missing environment variable {name}")
    return value


@dataclass(frozen=True)
class Settings:
    supabase_url: str = field(default_factory=lambda: _env("SUPABASE_URL", "http://localhost:54321"))
    supabase_anon_key: str = field(default_factory=lambda: _env("SUPABASE_ANON_KEY", "anon"))
    supabase_service_role_key: str = field(
        default_factory=lambda: _env("SUPABASE_SERVICE_ROLE_KEY", "service")
    )
    clerk_issuer: str = field(default_factory=lambda: _env("CLERK_ISSUER", "https://clerk.dev"))
    clerk_jwt_public_key: str = field(default_factory=lambda: _env("CLERK_JWT_KEY", "dev-key"))
    environment: str = field(default_factory=lambda: _env("ENVIRONMENT", "development"))
    request_timeout_seconds: float = 10.0
    page_size: int = 50
    max_page_size: int = 500
    export_bucket: str = "exports"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


settings = Settings()


def describe() -> dict[str, str]:
    """What the service runs against, without secrets (for the health endpoint)."""
    return {
        "supabase_url": settings.supabase_url,
        "clerk_issuer": settings.clerk_issuer,
        "environment": settings.environment,
    }


def require_production_secrets() -> None:
    missing = [
        name
        for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")
        if not os.environ.get(name)
    ]
    if settings.is_production and missing:
        raise RuntimeError(f"Missing production settings: {', '.join(missing)}")
'''

AUTH_MODULE = '''
"""Clerk session authentication: the organization always comes from the verified token."""

import logging

import jwt
from fastapi import Header, HTTPException, status

from app.core.config import settings

logger = logging.getLogger(__name__)


def _decode_session_token(token: str) -> dict:
    try:
        return jwt.decode(
            token,
            settings.clerk_jwt_public_key,
            algorithms=["RS256"],
            issuer=settings.clerk_issuer,
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as exc:
        logger.info(f"Rejected session token: {exc}")
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token")


async def get_current_user(authorization: str = Header(...)) -> dict:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Missing token")
    claims = _decode_session_token(token)
    org = claims.get("org_id")
    if not org:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="No organization")
    return {
        "user_id": claims["sub"],
        "clerk_org_id": org,
        "org_role": claims.get("org_role"),
        "email": claims.get("email"),
        "token": token,
    }


def require_admin(current_user: dict) -> None:
    if current_user.get("org_role") != "org:admin":
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admins only")


def user_label(current_user: dict) -> str:
    return current_user.get("email") or current_user["user_id"]
'''

TIMING_MODULE = '''
"""Decorators used across services: timing, retries, structured logging."""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def log_duration(func: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug(f"{func.__qualname__} took {elapsed:.1f} ms")

    return wrapper


def retry_async(attempts: int = 3, delay: float = 0.2):
    def decorator(func: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> T:
            last: Exception | None = None
            for attempt in range(1, attempts + 1):
                try:
                    return await func(*args, **kwargs)
                except Exception as exc:  # retried, then re-raised
                    last = exc
                    logger.warning(f"{func.__qualname__} failed (attempt {attempt}): {exc}")
                    await asyncio.sleep(delay * attempt)
            assert last is not None
            raise last

        return wrapper

    return decorator


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, label: str) -> float:
        now = time.perf_counter()
        self.laps.append((label, now - self.started))
        return now - self.started

    def summary(self) -> str:
        return ", ".join(f"{label}={seconds:.3f}s" for label, seconds in self.laps)
'''

CONFTEST = '''
"""Test fixtures: an in-memory stand-in for the Supabase client and signed-in users."""

from collections import defaultdict
from typing import Any

import pytest

ORG_ID = "org_2aTestOrganization"
OTHER_ORG_ID = "org_2bSomebodyElse"


class FakeDatabase:
    """Implements the DatabaseService API over dictionaries, filters included."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = defaultdict(list)

    @staticmethod
    def _matches(row: dict[str, Any], filters: dict[str, Any] | None) -> bool:
        return all(row.get(key) == value for key, value in (filters or {}).items())

    def select(self, table: str, filters: dict[str, Any] | None = None, **_: Any) -> list[dict]:
        return [dict(row) for row in self.tables[table] if self._matches(row, filters)]

    def select_one(self, table: str, filters: dict[str, Any]) -> dict | None:
        rows = self.select(table, filters)
        return rows[0] if rows else None

    def count(self, table: str, filters: dict[str, Any] | None = None) -> int:
        return len(self.select(table, filters))

    def insert(self, table: str, data: dict[str, Any]) -> dict:
        row = {"id": f"{table}-{len(self.tables[table]) + 1}", **data}
        self.tables[table].append(row)
        return dict(row)

    def update(self, table: str, filters: dict[str, Any], data: dict[str, Any]) -> list[dict]:
        changed = []
        for row in self.tables[table]:
            if self._matches(row, filters):
                row.update(data)
                changed.append(dict(row))
        return changed

    def delete(self, table: str, filters: dict[str, Any]) -> list[dict]:
        kept, removed = [], []
        for row in self.tables[table]:
            (removed if self._matches(row, filters) else kept).append(row)
        self.tables[table] = kept
        return removed


@pytest.fixture
def fake_db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def member() -> dict[str, str]:
    return {"user_id": "user_member", "clerk_org_id": ORG_ID, "token": "t", "org_role": "org:member"}


@pytest.fixture
def outsider() -> dict[str, str]:
    return {"user_id": "user_other", "clerk_org_id": OTHER_ORG_ID, "token": "t"}
'''


# --------------------------------------------------------------------------------------
# Migrations


def init_migration() -> str:
    return t(
        """
        -- Initial schema: reference data shared by every organization, and the
        -- organizations themselves (mirrored from Clerk by the membership webhook).

        create extension if not exists "pgcrypto";

        create table if not exists plans (
            id text primary key,
            name text not null,
            monthly_price_cents integer not null default 0,
            max_seats integer not null default 1
        );

        create table if not exists feature_flags (
            key text primary key,
            description text,
            enabled boolean not null default false
        );

        create table if not exists countries (code text primary key, name text not null);
        create table if not exists currencies (code text primary key, symbol text not null);
        create table if not exists timezones (name text primary key, utc_offset text not null);

        create table if not exists voice_library (
            id uuid primary key default gen_random_uuid(),
            name text not null,
            provider text not null,
            is_public boolean not null default true
        );

        create table if not exists integration_catalog (
            id text primary key,
            name text not null,
            category text not null
        );

        create table if not exists organizations (
            id uuid primary key default gen_random_uuid(),
            clerk_org_id text not null unique,
            name text not null,
            plan_id text references plans (id),
            is_active boolean not null default true,
            created_at timestamptz not null default now()
        );
        alter table organizations enable row level security;
        """,
        {},
    )


def entity_ddl(e: Entity) -> str:
    cols = [
        "    id uuid primary key default gen_random_uuid(),",
        f"    {TENANT_KEY} text not null,",
    ]
    if e.parent:
        cols.append(f"    {e.parent.noun}_id uuid references {e.parent.table} (id),")
    cols.append("    status text not null default 'active',")
    cols.extend(f"    {c.name} {c.sql}," for c in e.columns)
    cols.append("    created_by text,")
    cols.append("    created_at timestamptz not null default now(),")
    cols.append("    updated_at timestamptz")
    body = "\n".join(cols)
    return (
        f"create table if not exists {e.table} (\n{body}\n);\n\n"
        f"create index if not exists {e.table}_org_idx on {e.table} ({TENANT_KEY});\n"
        f"alter table {e.table} enable row level security;\n"
        f'create policy "{e.table}_org_members" on {e.table}\n'
        f"    using ({TENANT_KEY} = (auth.jwt() ->> 'org_id'));\n"
    )


# --------------------------------------------------------------------------------------
# Routers: one module per entity, a mix of endpoint shapes.

ROUTER_HEAD = """
import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response

from app.core.auth import get_current_user, require_admin
from app.core.database import DatabaseService, get_db
$schema_import

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/$domain/$plural", tags=["$domain"])

DEFAULT_LIMIT = $limit
STATUSES = ("draft", "active", "paused", "archived")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
"""


def _opening(c: Corpus, s: dict[str, str], style: int) -> str:
    """How an endpoint obtains the org and the DB service (three house styles)."""
    if style == 0:
        return tb(
            """
                $org_var = current_user["clerk_org_id"]
                db = DatabaseService(token=current_user["token"], org_id=$org_var)
            """,
            s,
        )
    if style == 1:
        return tb(
            """
                $org_var: str = current_user["clerk_org_id"]
                db = DatabaseService(current_user["token"], $org_var)
            """,
            s,
        )
    return tb(
        """
            $org_var = current_user["clerk_org_id"]
        """,
        s,
    )


def _signature(style: int, *params: str, multiline: bool = False) -> str:
    """Parameters after the endpoint's own: the DB dependency (one style) and the user."""
    names = [p for p in params if p]
    if style == 2:
        names.append("db: DatabaseService = Depends(get_db)")
    names.append("current_user: dict = Depends(get_current_user)")
    return (",\n    " if multiline else ", ").join(names)


def ep_list(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.get("")
        async def list_$plural(
            $sig,
        ):
        """,
        s,
        sig=_signature(
            style,
            "status_filter: str | None = None",
            "limit: int = Query(DEFAULT_LIMIT, ge=1, le=500)",
            multiline=True,
        ),
    )
    body = _opening(c, s, style)
    variant = c.rng.randrange(3)
    if c.bug("ORG001"):
        body += tb(
            """
                rows = db.select("$table", {"status": status_filter or "active"}, limit=limit)$m
            """,
            s,
            m=mark("ORG001", "literal-filter"),
        )
    elif variant == 0:
        body += tb(
            """
                filters: dict[str, Any] = {"$org": $org_var}
                if status_filter:
                    filters["status"] = status_filter
                rows = db.select("$table", filters, order_by="-created_at", limit=limit)
            """,
            s,
        )
    elif variant == 1:
        body += tb(
            """
                if status_filter is None:
                    filters = {"$org": $org_var, "status": "active"}
                else:
                    filters = {"$org": $org_var, "status": status_filter}
                rows = db.select("$table", filters, limit=limit)
            """,
            s,
        )
    else:
        body += tb(
            """
                rows = db.select(
                    "$table",
                    {"$org": $org_var, "is_archived": False} if status_filter is None else {"$org": $org_var, "status": status_filter},
                    order_by="-updated_at",
                    limit=limit,
                )
            """,
            s,
        )
    body += tb(
        """
            logger.info(f"Listed {len(rows)} $plural for org {$org_var}")
            return {"items": rows, "total": len(rows), "limit": limit}
        """,
        s,
    )
    return head + body


def ep_get(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.get("/{${noun}_id}")
        async def get_$noun(${noun}_id: str, $sig):
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    if e.helper and c.rng.random() < 0.6:
        if c.bug("ORG004"):
            call = f"db.{e.helper}({e.noun}_id){mark('ORG004', 'helper-without-org')}"
        elif c.rng.random() < 0.5:
            call = f"db.{e.helper}({e.noun}_id, org_id={s['org_var']})"
        else:
            call = f"db.{e.helper}({e.noun}_id, {s['org_var']})"
        body += f"    row = {call}\n"
    elif c.bug("ORG001"):
        body += tb(
            """
                row = db.select_one("$table", {"id": ${noun}_id})$m
            """,
            s,
            m=mark("ORG001", "literal-filter"),
        )
    else:
        body += tb(
            """
                row = db.select_one("$table", {"id": ${noun}_id, "$org": $org_var})
            """,
            s,
        )
    body += tb(
        """
            if not row:
                raise HTTPException(status_code=404, detail="$label not found")
            return row
        """,
        s,
    )
    return head + body


def ep_create(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.post("", status_code=status.HTTP_201_CREATED)
        async def create_$noun(body: ${Cls}Create, $sig):
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    variant = c.rng.randrange(3)
    if c.bug("ORG003"):
        body += tb(
            """
                record = {
                    "id": str(uuid4()),
                    "$col": body.$col,
                    "status": "draft",
                    "created_by": current_user["user_id"],
                }
                created = db.insert("$table", record)$m
            """,
            s,
            m=mark("ORG003", "record-without-key"),
        )
    elif variant == 0:
        body += tb(
            """
                created = db.insert(
                    "$table",
                    {
                        "id": str(uuid4()),
                        "$col": body.$col,
                        "status": "draft",
                        "$org": $org_var,
                        "created_by": current_user["user_id"],
                    },
                )
            """,
            s,
        )
    elif variant == 1:
        body += tb(
            """
                record = {"id": str(uuid4()), "$col": body.$col, "status": "draft"}
                record["$org"] = $org_var
                record["created_by"] = current_user["user_id"]
                created = db.insert("$table", record)
            """,
            s,
        )
    else:
        body += tb(
            """
                record = {
                    "id": str(uuid4()),
                    "$org": $org_var,
                    "created_by": current_user["user_id"],
                    "created_at": _now(),
                }
                record.update({"$col": body.$col, "status": "draft"})
                created = db.insert("$table", record)
            """,
            s,
        )
    body += tb(
        """
            if created is None:
                raise HTTPException(status_code=500, detail="Could not create $label")
            logger.info(f"Created $label {created['id']} in org {$org_var}")
            return created
        """,
        s,
    )
    return head + body


def ep_update(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.patch("/{${noun}_id}")
        async def update_$noun(${noun}_id: str, body: ${Cls}Update, $sig):
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            update_data = {key: value for key, value in body.__dict__.items() if value is not None}
            if not update_data:
                raise HTTPException(status_code=400, detail="Nothing to update")
            update_data["updated_at"] = _now()
        """,
        s,
    )
    if c.bug("ORG001"):
        body += tb(
            """
                updated = db.update($m
                    "$table",
                    {"id": ${noun}_id},
                    update_data,
                )
            """,
            s,
            m=mark("ORG001", "multiline-filter"),
        )
    else:
        body += tb(
            """
                updated = db.update(
                    "$table",
                    {"id": ${noun}_id, "$org": $org_var},
                    update_data,
                )
            """,
            s,
        )
    body += tb(
        """
            if not updated:
                raise HTTPException(status_code=404, detail="$label not found")
            logger.info(f"Updated $label {${noun}_id}: {sorted(update_data)}")
            return updated[0]
        """,
        s,
    )
    return head + body


def ep_delete(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.delete("/{${noun}_id}", status_code=status.HTTP_204_NO_CONTENT)
        async def delete_$noun(${noun}_id: str, $sig):
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    if c.bug("ORG001"):
        filt = f'{{"id": {e.noun}_id}}'
        call = f'deleted = db.delete("{e.table}", {filt}){mark("ORG001", "literal-filter")}'
    else:
        filt = f'{{"id": {e.noun}_id, "{TENANT_KEY}": {s["org_var"]}}}'
        call = f'deleted = db.delete("{e.table}", {filt})'
    body += tb(
        """
            try:
                $call
            except Exception as exc:
                logger.error(f"Failed to delete $label {${noun}_id}: {exc}")
                raise HTTPException(status_code=502, detail="Delete failed") from exc
            if not deleted:
                raise HTTPException(status_code=404, detail="$label not found")
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        """,
        s,
        call=call,
    )
    return head + body


def ep_stats(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.get("/stats")
        async def ${noun}_stats($sig) -> dict[str, Any]:
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            by_status: dict[str, int] = {}
            for status_name in STATUSES:
                by_status[status_name] = db.count(
                    "$table", {"$org": $org_var, "status": status_name}
                )
            total = db.count("$table", {"$org": $org_var})
            since = (datetime.now(timezone.utc) - timedelta(days=7)).isoformat()
            recent = [
                row
                for row in db.select("$table", {"$org": $org_var}, order_by="-created_at", limit=200)
                if row.get("created_at", "") >= since
            ]
            return {"total": total, "by_status": by_status, "created_last_7_days": len(recent)}
        """,
        s,
    )
    return head + body


def ep_bulk(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.post("/bulk")
        async def bulk_update_$plural(body: ${Cls}Bulk, $sig):
        """,
        s,
        sig=_signature(style, ""),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            require_admin(current_user)
            changed: list[str] = []
            failed: dict[str, str] = {}
            for item_id in body.ids:
                try:
                    rows = db.update(
                        "$table",
                        {"id": item_id, "$org": $org_var},
                        {"status": body.status, "updated_at": _now()},
                    )
                except Exception as exc:
                    failed[item_id] = str(exc)
                    continue
                if rows:
                    changed.append(item_id)
            if failed:
                logger.warning(f"Bulk update of $plural: {len(failed)} failures in org {$org_var}")
            return {"changed": changed, "failed": failed}
        """,
        s,
    )
    return head + body


def ep_children(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    assert e.parent is not None
    head = t(
        """
        @router.get("/by-$parent/{${parent}_id}")
        async def list_${plural}_for_$parent(
            ${parent}_id: str,
            $sig,
        ):
        """,
        s,
        sig=_signature(style, "", multiline=True),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            parent = db.select_one("$parent_table", {"id": ${parent}_id, "$org": $org_var})
            if parent is None:
                raise HTTPException(status_code=404, detail="$parent not found")
            filter_dict = {"$org": $org_var, "${parent}_id": ${parent}_id}
            rows = db.select("$table", filter_dict, order_by="-created_at")
            return {"$parent": parent, "items": rows}
        """,
        s,
    )
    return head + body


def ep_reference(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    table = c.rng.choice(GLOBAL_TABLES)
    head = t(
        """
        @router.get("/options/$ref")
        async def ${noun}_${ref}_options(
            $sig,
        ) -> list[dict[str, Any]]:
        """,
        s,
        ref=table,
        sig=_signature(style, "", multiline=True),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            options = db.select("$ref", None, limit=500)
            logger.debug(f"Serving {len(options)} $ref options to {current_user['user_id']}")
            return sorted(options, key=lambda option: str(option.get("name", "")))
        """,
        s,
        ref=table,
    )
    return head + body


def ep_export(c: Corpus, e: Entity, s: dict[str, str], style: int) -> str:
    head = t(
        """
        @router.get("/export.csv")
        async def export_$plural(
            since_days: int = Query(30, ge=1, le=365),
            $sig,
        ) -> Response:
        """,
        s,
        sig=_signature(style, "", multiline=True),
    )
    body = _opening(c, s, style)
    body += tb(
        """
            cutoff = datetime.now(timezone.utc) - timedelta(days=since_days)
            rows = db.select(
                "$table",
                {"$org": $org_var},
                order_by="created_at",
                limit=5000,
            )
            header = ["id", "status", "$col", "created_at"]
            lines = [",".join(header)]
            for row in rows:
                if row.get("created_at") and row["created_at"] < cutoff.isoformat():
                    continue
                lines.append(",".join(str(row.get(column, "")) for column in header))
            return Response(content="\\n".join(lines), media_type="text/csv")
        """,
        s,
    )
    return head + body


ACTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pause", "paused", ("active",)),
    ("resume", "active", ("paused",)),
    ("archive", "archived", ("active", "paused", "draft")),
    ("restore", "active", ("archived",)),
    ("publish", "active", ("draft",)),
    ("approve", "active", ("draft", "paused")),
    ("reject", "failed", ("draft",)),
    ("cancel", "archived", ("draft", "active")),
    ("complete", "completed", ("active",)),
    ("reopen", "active", ("completed", "failed")),
)


def ep_action(c: Corpus, e: Entity, s: dict[str, str], style: int, action: int) -> str:
    verb, target, sources = ACTIONS[action]
    head = t(
        """
        @router.post("/{${noun}_id}/$verb")
        async def ${verb}_$noun(
            ${noun}_id: str,
            reason: str | None = None,
            $sig,
        ):
        """,
        s,
        verb=verb,
        sig=_signature(style, "", multiline=True),
    )
    body = _opening(c, s, style)
    if e.helper and c.rng.random() < 0.5:
        org = "" if c.bug("ORG004") else f", org_id={s['org_var']}"
        load = f"db.{e.helper}({e.noun}_id{org})"
        if not org:
            load += mark("ORG004", "helper-without-org")
    elif c.bug("ORG001"):
        load = f'db.select_one("{e.table}", {{"id": {e.noun}_id}}){mark("ORG001", "action-load")}'
    else:
        load = f'db.select_one("{e.table}", {{"id": {e.noun}_id, "{TENANT_KEY}": {s["org_var"]}}})'
    # No bug variant for the update: after the scoped lookup above succeeded, the id is
    # known to belong to the org (check-then-act), so filtering by it alone is safe.
    update = "rows = db.update(\n"
    where = f'{{"id": current["id"], "{TENANT_KEY}": {s["org_var"]}}}'
    update += f'    "{e.table}",\n    {where},\n    changes,\n)\n'
    body += tb(
        """
            current = $load
            if current is None:
                raise HTTPException(status_code=404, detail="$label not found")
            if current["status"] == "$target":
                return current
            if current["status"] not in $sources:
                raise HTTPException(
                    status_code=409,
                    detail=f"Cannot $verb a {current['status']} $label",
                )
            changes: dict[str, Any] = {"status": "$target", "updated_at": _now()}
            if reason:
                changes["notes"] = reason[:500]
            $update
            logger.info(f"$label {${noun}_id} -> $target by {current_user['user_id']}")
            return rows[0] if rows else current
        """,
        s,
        load=load,
        target=target,
        verb=verb,
        sources="("
        + ", ".join(f'"{x}"' for x in sources)
        + ("," if len(sources) == 1 else "")
        + ")",
        update=update.rstrip("\n"),
    )
    return head + body


ENDPOINTS: tuple[Callable[[Corpus, Entity, dict[str, str], int], str], ...] = (
    ep_stats,
    ep_bulk,
    ep_reference,
    ep_export,
)


def routes_module(c: Corpus, e: Entity) -> str:
    style = c.rng.choice((0, 0, 0, 0, 0, 2, 2, 2, 1))
    s = e.subs()
    s["org_var"] = "clerk_org_id" if c.rng.random() < 0.8 else "org_id"
    s["limit"] = str(c.rng.choice((25, 50, 100)))
    if e.inline_schemas:
        schema_import = (
            "from typing import Literal\n\nfrom pydantic import BaseModel, Field, field_validator"
        )
    else:
        schema_import = (
            f"from app.schemas.{e.domain}.{e.noun} import {e.cls}Bulk, {e.cls}Create, {e.cls}Update"
        )
    parts = [t(ROUTER_HEAD, s, schema_import=schema_import)]
    core = [ep_list, ep_get, ep_create, ep_update, ep_delete]
    if e.parent:
        core.append(ep_children)
    extras = list(ENDPOINTS)
    c.rng.shuffle(extras)
    chosen = core + extras[: c.rng.randint(0, len(extras))]
    if e.inline_schemas:
        parts.append("\n\n" + schema_classes(e))
    for endpoint in chosen:
        parts.append("\n\n" + endpoint(c, e, s, style))
    # Lifecycle actions until the module reaches its size (real routers vary a lot).
    target = c.rng.randint(120, 560)
    actions = list(range(len(ACTIONS)))
    c.rng.shuffle(actions)
    size = sum(part.count("\n") for part in parts)
    for action in actions:
        if size >= target:
            break
        text = "\n\n" + ep_action(c, e, s, style, action)
        if size + text.count("\n") > 590:
            break
        parts.append(text)
        size += text.count("\n")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# Services: a class per entity working on `self.db`, plus module-level helpers.


def service_module(c: Corpus, e: Entity) -> str:
    s = e.subs()
    out = [
        t(
            '''
            """Business logic for $plural: everything here runs inside one organization."""

            import logging
            from datetime import datetime, timedelta, timezone
            from typing import Any

            from app.core.database import DatabaseService, Row
            from app.utils.timing import log_duration

            logger = logging.getLogger(__name__)

            STALE_AFTER_DAYS = $stale


            def build_${noun}_filters(clerk_org_id: str, status: str | None = None) -> dict[str, Any]:
                filters: dict[str, Any] = {"$org": clerk_org_id}
                if status is not None:
                    filters["status"] = status
                return filters


            class ${Cls}NotFound(LookupError):
                pass


            class ${Cls}Service:
                def __init__(self, db: DatabaseService, clerk_org_id: str) -> None:
                    self.db = db
                    self.clerk_org_id = clerk_org_id

                def __repr__(self) -> str:
                    return f"${Cls}Service(org={self.clerk_org_id!r})"
            ''',
            s,
            stale=str(c.rng.choice((7, 14, 30, 90))),
        )
    ]
    methods: list[str] = []
    if c.bug("ORG001"):
        get_call = f'self.db.select_one("{e.table}", {{"id": {e.noun}_id}})'
        get_call += mark("ORG001", "service-filter")
    else:
        get_call = f'self.db.select_one("{e.table}", {{"id": {e.noun}_id, "{TENANT_KEY}": self.clerk_org_id}})'
    methods.append(
        t(
            """
            def get(self, ${noun}_id: str) -> Row:
                row = $call
                if row is None:
                    raise ${Cls}NotFound(${noun}_id)
                return row
            """,
            s,
            call=get_call,
        )
    )
    methods.append(
        t(
            """
            @log_duration
            def list_by_status(self, status: str | None = None, limit: int = 100) -> list[Row]:
                return self.db.select(
                    "$table",
                    build_${noun}_filters(self.clerk_org_id, status),
                    order_by="-created_at",
                    limit=limit,
                )
            """,
            s,
        )
    )
    methods.append(
        t(
            """
            def find_stale(self, now: datetime | None = None) -> list[Row]:
                now = now or datetime.now(timezone.utc)
                cutoff = (now - timedelta(days=STALE_AFTER_DAYS)).isoformat()
                stale = []
                for row in self.db.select("$table", {"$org": self.clerk_org_id, "status": "active"}):
                    if (row.get("updated_at") or row["created_at"]) < cutoff:
                        stale.append(row)
                logger.info(f"{len(stale)} stale $plural in org {self.clerk_org_id}")
                return stale
            """,
            s,
        )
    )
    if c.bug("ORG001"):
        archive = t(
            """
            self.db.update($m
                "$table",
                {"id": row["id"]},
                {"status": "archived", "updated_at": stamp},
            )
            """,
            s,
            m=mark("ORG001", "service-multiline"),
        )
    else:
        archive = t(
            """
            self.db.update(
                "$table",
                {"id": row["id"], "$org": self.clerk_org_id},
                {"status": "archived", "updated_at": stamp},
            )
            """,
            s,
        )
    methods.append(
        t(
            """
            def archive_stale(self) -> int:
                stamp = datetime.now(timezone.utc).isoformat()
                archived = 0
                for row in self.find_stale():
                    try:
            $archive
                    except Exception as exc:
                        logger.warning(f"Could not archive $label {row['id']}: {exc}")
                        continue
                    archived += 1
                return archived
            """,
            s,
            archive=textwrap.indent(archive.rstrip("\n"), " " * 12),
        )
    )
    if c.bug("ORG003"):
        rec = t(
            """
            record = dict(payload)
            record["status"] = record.get("status", "active")
            return self.db.insert("$table", {"external_id": external_id, "status": "active"})$m
            """,
            s,
            m=mark("ORG003", "service-insert"),
        )
    else:
        rec = t(
            """
            record = dict(payload)
            record["$org"] = self.clerk_org_id
            record["external_id"] = external_id
            return self.db.insert("$table", record)
            """,
            s,
        )
    methods.append(
        t(
            """
            def upsert_from_provider(self, external_id: str, payload: dict[str, Any]) -> Row | None:
                existing = self.db.select_one(
                    "$table", {"$org": self.clerk_org_id, "external_id": external_id}
                )
                if existing:
                    changes = {k: v for k, v in payload.items() if existing.get(k) != v}
                    if not changes:
                        return existing
                    rows = self.db.update(
                        "$table",
                        {"id": existing["id"], "$org": self.clerk_org_id},
                        changes,
                    )
                    return rows[0] if rows else existing
            $rec
            """,
            s,
            rec=textwrap.indent(rec.rstrip("\n"), " " * 4),
        )
    )
    methods.append(
        t(
            """
            def summary(self) -> dict[str, Any]:
                counts = {
                    name: self.db.count("$table", {"$org": self.clerk_org_id, "status": name})
                    for name in ("draft", "active", "archived")
                }
                return {"org": self.clerk_org_id, "counts": counts, "total": sum(counts.values())}

            @property
            def table(self) -> str:
                return "$table"
            """,
            s,
        )
    )
    if e.helper:
        if c.bug("ORG004"):
            helper_call = f"self.db.{e.helper}({e.noun}_id){mark('ORG004', 'service-helper')}"
        else:
            helper_call = f"self.db.{e.helper}({e.noun}_id, org_id=self.clerk_org_id)"
        methods.append(
            t(
                """
                def require(self, ${noun}_id: str) -> Row:
                    found = $call
                    if not found:
                        raise ${Cls}NotFound(${noun}_id)
                    return found
                """,
                s,
                call=helper_call,
            )
        )
    if e.parent:
        methods.append(
            t(
                """
                def move_to_$parent(self, ${noun}_id: str, ${parent}_id: str) -> Row:
                    target = self.db.select_one(
                        "$parent_table", {"id": ${parent}_id, "$org": self.clerk_org_id}
                    )
                    if target is None:
                        raise LookupError(f"$parent {${parent}_id} is not in this organization")
                    rows = self.db.update(
                        "$table",
                        {"id": ${noun}_id, "$org": self.clerk_org_id},
                        {"${parent}_id": ${parent}_id},
                    )
                    return rows[0]
                """,
                s,
            )
        )
    out.extend("\n" + textwrap.indent(m, "    ") for m in methods)
    out.append(
        t(
            '''


            async def sync_$plural(db: DatabaseService, clerk_org_id: str, payloads: list[dict[str, Any]]) -> int:
                """Mirror provider records into $table; returns how many changed."""
                service = ${Cls}Service(db, clerk_org_id)
                changed = 0
                for payload in payloads:
                    external_id = payload.get("id")
                    if not external_id:
                        logger.debug(f"Skipping payload without id for org {clerk_org_id}")
                        continue
                    if service.upsert_from_provider(str(external_id), payload) is not None:
                        changed += 1
                return changed
            ''',
            s,
        )
    )
    return "".join(out)


# --------------------------------------------------------------------------------------
# Schemas, utilities, jobs, tests: the files around the database code.


def schema_classes(e: Entity) -> str:
    """The pydantic models of an entity (in their own module, or inline in the router)."""
    fields = []
    for col in e.columns:
        if col.py_type.endswith("None"):
            fields.append(f"    {col.name}: {col.py_type} = None")
        elif col.py_type == "str":
            fields.append(f"    {col.name}: str = Field(..., min_length=1, max_length=200)")
        else:
            fields.append(f"    {col.name}: {col.py_type} = {col.example}")
    if e.parent:
        fields.append(f"    {e.parent.noun}_id: str | None = None")
    update_fields = [
        f"    {col.name}: {col.py_type.removesuffix(' | None')} | None = None" for col in e.columns
    ]
    return t(
        """
        ${Cls}Status = Literal["draft", "active", "paused", "archived"]


        class ${Cls}Base(BaseModel):
        $fields


        class ${Cls}Create(${Cls}Base):
            status: ${Cls}Status = "draft"

            @field_validator("$col", mode="before")
            @classmethod
            def _strip(cls, value: object) -> object:
                return value.strip() if isinstance(value, str) else value


        class ${Cls}Update(BaseModel):
        $update_fields
            status: ${Cls}Status | None = None


        class ${Cls}Bulk(BaseModel):
            ids: list[str] = Field(..., min_length=1, max_length=500)
            status: ${Cls}Status


        class ${Cls}Out(${Cls}Base):
            id: str
            status: ${Cls}Status
            created_at: datetime
            updated_at: datetime | None = None

            model_config = {"from_attributes": True}


        class ${Cls}Page(BaseModel):
            items: list[${Cls}Out]
            total: int
            limit: int

            @property
            def has_more(self) -> bool:
                return self.total > len(self.items)
        """,
        e.subs(),
        fields="\n".join(fields),
        update_fields="\n".join(update_fields),
    )


def schema_module(e: Entity) -> str:
    head = t(
        '''
        """Request and response models for $plural."""

        from datetime import datetime
        from typing import Literal

        from pydantic import BaseModel, Field, field_validator
        ''',
        e.subs(),
    )
    return head + "\n\n" + schema_classes(e)


UTIL_FUNCTIONS = (
    '''
def paginate(items: list[T], page: int, size: int) -> tuple[list[T], int]:
    """Slice one page out of `items`; pages are 1-based."""
    if page < 1 or size < 1:
        raise ValueError("page and size must be positive")
    start = (page - 1) * size
    return items[start : start + size], len(items)
''',
    """
def normalize_phone(raw: str, default_country: str = "1") -> str | None:
    digits = re.sub(r"\\D", "", raw or "")
    if not digits:
        return None
    if len(digits) == 10:
        digits = default_country + digits
    if len(digits) < 11 or len(digits) > 15:
        return None
    return f"+{digits}"
""",
    """
def slugify(text: str, max_length: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"
""",
    """
def format_money(amount_cents: int, currency: str = "usd") -> str:
    symbol = {"usd": "$$", "eur": "EUR ", "gbp": "GBP "}.get(currency.lower(), "")
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}"
""",
    """
def date_range(start: date, end: date, step_days: int = 1) -> Iterator[date]:
    if step_days <= 0:
        raise ValueError("step_days must be positive")
    current = start
    while current <= end:
        yield current
        current += timedelta(days=step_days)
""",
    """
def diff_records(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    keys = sorted(set(before) | set(after))
    return {
        key: (before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    }
""",
    """
def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
""",
    """
def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row.get(key, "") for key in columns})
    return buffer.getvalue()
""",
    """
def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        logger.debug(f"Unparseable timestamp {value!r}")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
""",
    '''
def cache_key(org_id: str, *parts: object) -> str:
    """Cache keys always start with the organization so tenants never share entries."""
    return ":".join([org_id, *(str(part) for part in parts)])
''',
    """
class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, list[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        window = [stamp for stamp in self.hits.get(key, []) if now - stamp < 60]
        if len(window) >= self.per_minute:
            self.hits[key] = window
            return False
        window.append(now)
        self.hits[key] = window
        return True
""",
    """
def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    if not domain:
        return "***"
    visible = name[:2] if len(name) > 2 else name[:1]
    return f"{visible}***@{domain}"
""",
    """
def percentile(values: list[float], fraction: float) -> float:
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    index = (len(ordered) - 1) * fraction
    low, high = math.floor(index), math.ceil(index)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)
""",
    """
def merge_settings(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged
""",
)

UTIL_HEAD = '''
"""$topic helpers shared by the $domain endpoints."""

import csv
import io
import logging
import math
import re
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
'''


def util_module(c: Corpus, domain: str, topic: str) -> str:
    picks = c.rng.sample(range(len(UTIL_FUNCTIONS)), c.rng.randint(7, len(UTIL_FUNCTIONS)))
    parts = [t(UTIL_HEAD, {"domain": domain, "topic": topic.capitalize()})]
    for number, index in enumerate(sorted(picks)):
        fn = Template(UTIL_FUNCTIONS[index]).substitute({})
        if number and c.rng.random() < 0.3:
            # Same helper under a domain-specific name, as copy-paste leaves it.
            fn = re.sub(r"^def (\w+)", rf"def {domain}_\1", fn.lstrip("\n"), count=1)
        parts.append("\n\n" + fn.strip("\n") + "\n")
    return "".join(parts)


def jobs_module(c: Corpus, domain: str, entities: list[Entity]) -> str:
    out = [
        t(
            '''
            """Background jobs for the $domain domain."""

            import asyncio
            import logging
            from datetime import datetime, timedelta, timezone

            from app.core.database import DatabaseAdminService, DatabaseService
            from app.utils.timing import retry_async

            logger = logging.getLogger(__name__)
            ''',
            {"domain": domain},
        )
    ]
    for e in entities[-3:]:
        s = e.subs()
        if c.bug("ORG001"):
            expire = (
                f'db.update("{e.table}", {{"status": "active", "due_at": None}}, '
                f'{{"status": "paused"}}){mark("ORG001", "job-filter")}'
            )
        else:
            expire = (
                f'db.update("{e.table}", {{"{TENANT_KEY}": clerk_org_id, "status": "active", '
                f'"due_at": None}}, {{"status": "paused"}})'
            )
        out.append(
            t(
                '''


                @retry_async(attempts=2)
                async def pause_unscheduled_$plural(db: DatabaseService, clerk_org_id: str) -> int:
                    """Pause active $plural that have no due date."""
                    paused = $expire
                    await asyncio.sleep(0)
                    logger.info(f"Paused {len(paused)} unscheduled $plural in org {clerk_org_id}")
                    return len(paused)


                async def purge_deleted_$plural() -> int:  # orgscope: system-context -- nightly job over every organization
                    admin_db = DatabaseAdminService()
                    cutoff = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat()
                    purged = 0
                    for org in admin_db.select("organizations", {"is_active": True}):
                        rows = admin_db.select(
                            "$table", {"$org": org["clerk_org_id"], "status": "archived"}
                        )
                        old = [row["id"] for row in rows if (row.get("updated_at") or "") < cutoff]
                        if old:
                            admin_db.delete("$table", {"$org": org["clerk_org_id"], "id": old})
                            purged += len(old)
                    return purged
                ''',
                s,
                expire=expire,
            )
        )
    return "".join(out)


def tests_module(c: Corpus, e: Entity) -> str:
    s = e.subs()
    out = [
        t(
            '''
            """Tenant isolation and behaviour of the $plural service."""

            import pytest

            from app.services.$domain.${noun}_service import ${Cls}NotFound, ${Cls}Service
            from tests.conftest import ORG_ID, OTHER_ORG_ID, FakeDatabase


            @pytest.fixture
            def db(fake_db: FakeDatabase) -> FakeDatabase:
                fake_db.insert("$table", {"id": "mine", "$org": ORG_ID, "status": "active", "$col": $ex})
                fake_db.insert("$table", {"id": "theirs", "$org": OTHER_ORG_ID, "status": "active"})
                return fake_db


            def test_get_returns_own_record(db: FakeDatabase) -> None:
                service = ${Cls}Service(db, ORG_ID)
                assert service.get("mine")["$org"] == ORG_ID


            def test_get_refuses_other_org(db: FakeDatabase) -> None:
                service = ${Cls}Service(db, ORG_ID)
                with pytest.raises(${Cls}NotFound):
                    service.get("theirs")
            ''',
            s,
            ex=s["col_example"],
        )
    ]
    cases = c.rng.randint(3, 8)
    for number in range(cases):
        status_name = STATUSES[number % len(STATUSES)]
        out.append(
            t(
                """


                def test_summary_counts_only_own_rows_$n(db: FakeDatabase) -> None:
                    db.insert("$table", {"id": "extra-$n", "$org": ORG_ID, "status": "$st"})
                    service = ${Cls}Service(db, ORG_ID)
                    summary = service.summary()
                    assert summary["org"] == ORG_ID
                    assert db.count("$table", {"$org": OTHER_ORG_ID}) == 1
                    rows = db.select("$table", {"$org": ORG_ID, "status": "$st"})
                    assert [row["id"] for row in rows] == ["extra-$n"] or "$st" == "active"
                """,
                s,
                n=str(number),
                st=status_name,
            )
        )
    out.append(
        t(
            """


            @pytest.mark.parametrize("status", ["draft", "active", "archived"])
            def test_list_by_status_filters(db: FakeDatabase, status: str) -> None:
                service = ${Cls}Service(db, ORG_ID)
                rows = service.list_by_status(status)
                assert all(row["$org"] == ORG_ID for row in rows)
            """,
            s,
        )
    )
    return "".join(out)


# --------------------------------------------------------------------------------------
# Driver


def make_entities(rng: random.Random, count: int, helpers: int) -> list[Entity]:
    combos = [(d, n) for d in DOMAINS for n in NOUNS]
    rng.shuffle(combos)
    entities: list[Entity] = []
    by_domain: dict[str, list[Entity]] = {}
    helper_names: list[str] = []
    for index in range(count):
        domain, noun = combos[index % len(combos)]
        if index >= len(combos):
            noun = f"{noun}_v{index // len(combos) + 1}"
        columns = tuple(rng.sample(OPTIONAL_COLUMNS, rng.randint(3, 7)))
        siblings = by_domain.setdefault(domain, [])
        parent = rng.choice(siblings) if siblings and rng.random() < 0.4 else None
        inline = rng.random() < 0.35
        helper = ""
        if index < helpers:
            # Nouns repeat across domains; helper names on the one DB class must not.
            helper = f"get_{noun}" if f"get_{noun}" not in helper_names else f"get_{domain}_{noun}"
            helper_names.append(helper)
        entity = Entity(index, domain, noun, columns, parent, helper, inline)
        siblings.append(entity)
        entities.append(entity)
    return entities


def generate(out: Path, lines: int, seed: int, dense: bool = False) -> dict[str, object]:
    """Write a corpus of about `lines` lines into `out` (created); returns the manifest.

    `dense` writes the API layer alone (routers and background jobs, schemas imported
    from modules left out), where nearly every file and function touches the database.
    """
    rng = random.Random(seed)
    c = Corpus(root=out, target=lines, seed=seed, rng=rng)
    helpers = max(3, min(40, lines // 10_000))
    entities = make_entities(rng, lines // 300 + 10, helpers)
    out.mkdir(parents=True, exist_ok=True)

    c.write("pyproject.toml", pyproject(entities[:helpers]))
    c.write("migrations/0001_init.sql", init_migration())
    layers = ("app/services", "app/schemas", "app/utils")
    for package in ("app", "app/core", "app/api", *(() if dense else layers)):
        c.write(f"{package}/__init__.py", "")
    if not dense:
        c.write("tests/__init__.py", "")
    c.write("app/core/config.py", textwrap.dedent(CONFIG_MODULE).lstrip())
    c.write("app/core/auth.py", textwrap.dedent(AUTH_MODULE).lstrip())
    c.write("app/core/database.py", database_module(entities[:helpers]))
    c.write("app/utils/timing.py", textwrap.dedent(TIMING_MODULE).lstrip())
    if not dense:
        c.write("tests/conftest.py", textwrap.dedent(CONFTEST).lstrip())

    made: list[Entity] = []
    pending_ddl: list[str] = []
    migration = 2
    packages: set[str] = set()

    def flush_ddl(force: bool) -> None:
        nonlocal migration
        text = "\n".join(pending_ddl)
        if pending_ddl and (force or text.count("\n") >= 50):
            first = made[-1].table if len(pending_ddl) == 1 else f"{made[-1].domain}_tables"
            c.write(f"migrations/{migration:04d}_{first}.sql", text)
            pending_ddl.clear()
            migration += 1

    for e in entities:
        if c.full:
            break
        if dense:
            e = replace(e, inline_schemas=False)
        made.append(e)
        domains_so_far = len({m.domain for m in made})
        c.reserve = 66 + 2 * len(made) + 9 * domains_so_far + 3 * len(pending_ddl)
        for kind in () if dense else ("services", "schemas"):
            package = f"app/{kind}/{e.domain}"
            if package not in packages:
                packages.add(package)
                c.write(f"{package}/__init__.py", "")
        pending_ddl.append(entity_ddl(e))
        flush_ddl(False)
        steps: list[tuple[str, Callable[[], str]]] = [
            (e.module, lambda e=e: routes_module(c, e)),
            (f"app/services/{e.domain}/{e.noun}_service.py", lambda e=e: service_module(c, e)),
        ]
        if dense:
            steps.pop()
        elif not e.inline_schemas:
            steps.insert(0, (f"app/schemas/{e.domain}/{e.noun}.py", lambda e=e: schema_module(e)))
        if not dense and rng.random() < 0.7:
            steps.append((f"tests/test_{e.domain}_{e.noun}.py", lambda e=e: tests_module(c, e)))
        siblings = [m for m in made if m.domain == e.domain]
        if len(siblings) % 3 == 0:
            n = len(siblings) // 3
            steps.append(
                (
                    f"app/jobs/{e.domain}_jobs_{n}.py",
                    lambda s=siblings: jobs_module(c, s[0].domain, s),
                )
            )
        if not dense and rng.random() < 0.2:
            topic = rng.choice(("formatting", "dates", "export", "caching", "limits", "text"))
            util_path = f"app/utils/{e.domain}_{topic}_{e.index}.py"
            steps.append((util_path, lambda e=e, tp=topic: util_module(c, e.domain, tp)))
        for path, build in steps:
            if c.full:
                break
            c.write(path, build())
    flush_ddl(True)
    if any(p.startswith("app/jobs/") for p in c.files):
        c.write("app/jobs/__init__.py", "")
    domains: list[str] = []
    for domain in DOMAINS:
        routed = [e for e in made if e.domain == domain and e.module in c.files]
        if routed:
            domains.append(domain)
            c.write(f"app/api/{domain}/__init__.py", domain_package(domain, routed))
    c.write("app/main.py", main_module(domains))

    manifest = {
        "generator": GENERATOR_VERSION,
        "seed": seed,
        "target_lines": lines,
        "dense": dense,
        "total_lines": c.total_lines,
        "tenant_key": TENANT_KEY,
        "global_tables": list(GLOBAL_TABLES),
        "tables": ["organizations", *(e.table for e in made)],
        "files": [{"path": p, **info} for p, info in sorted(c.files.items())],
        "planted": [
            {"path": p.path, "line": p.line, "code": p.code, "kind": p.kind}
            for p in sorted(c.planted, key=lambda p: (p.path, p.line))
        ],
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def domain_package(domain: str, routed: list[Entity]) -> str:
    imports = "\n".join(
        f"from app.api.{domain}.{e.noun} import router as {e.noun}_router" for e in routed
    )
    includes = "\n".join(f"router.include_router({e.noun}_router)" for e in routed)
    return t(
        '''
        """Every $domain router, mounted under one router for the app."""

        from fastapi import APIRouter

        $imports

        router = APIRouter()
        $includes
        ''',
        {},
        domain=domain,
        imports=imports,
        includes=includes,
    )


def main_module(domains: list[str]) -> str:
    imports = "\n".join(f"from app.api.{d} import router as {d}_router" for d in domains)
    includes = "\n".join(f"app.include_router({d}_router)" for d in domains)
    return t(
        '''
        """The FastAPI application: the routers of every domain, health and error handlers."""

        import logging
        import time
        from uuid import uuid4

        from fastapi import FastAPI, Request
        from fastapi.responses import JSONResponse

        from app.core.config import describe, require_production_secrets
        from app.core.database import DatabaseError
        $imports

        logger = logging.getLogger(__name__)

        app = FastAPI(title="voice-ops-backend")

        $includes


        @app.on_event("startup")
        async def check_settings() -> None:
            require_production_secrets()


        @app.middleware("http")
        async def request_id(request: Request, call_next):
            request_id = request.headers.get("x-request-id") or uuid4().hex
            started = time.perf_counter()
            response = await call_next(request)
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["x-request-id"] = request_id
            logger.info(f"{request.method} {request.url.path} {response.status_code} {elapsed:.1f} ms")
            return response


        @app.exception_handler(DatabaseError)
        async def database_error(request: Request, exc: DatabaseError) -> JSONResponse:
            logger.error(f"Database error on {request.url.path}: {exc}")
            return JSONResponse(status_code=503, content={"detail": "Database unavailable"})


        @app.get("/health")
        async def health() -> dict[str, object]:
            return {"ok": True, "config": describe()}
        ''',
        {},
        imports=imports,
        includes=includes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write (must be empty or absent)")
    parser.add_argument("--lines", type=int, default=20_000, help="approximate size in lines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument(
        "--dense", action="store_true", help="the API layer alone: nearly all of it touches the DB"
    )
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        if not args.force:
            print(f"{args.out} is not empty (use --force to replace it)", file=sys.stderr)
            return 2
        shutil.rmtree(args.out)
    manifest = generate(args.out, args.lines, args.seed, args.dense)
    files = manifest["files"]
    assert isinstance(files, list)
    print(
        f"{args.out}: {len(files)} files, {manifest['total_lines']} lines, "
        f"{len(manifest['planted'])} planted bugs"  # type: ignore[arg-type]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
