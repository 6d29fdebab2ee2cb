from __future__ import annotations

from collections.abc import Iterator

from orgscope_lint.facts import FileFacts
from orgscope_lint.findings import Finding, Severity
from orgscope_lint.project import Project
from orgscope_lint.rule import Example, Rule
from orgscope_lint.tenancy import (
    falls_back_on_principal,
    follow_note,
    follow_related,
    passes_org,
)


class UnscopedHelperCall(Rule):
    code = "ORG004"
    name = "unscoped-helper-call"
    severity = Severity.ERROR
    summary = "A scoped DB helper is called without the org"
    doc = """
    ## What it does
    Reports a call of a scoped helper (`get_voice`, `get_call`, `get_campaign` by default,
    and any helper listed in `scoped-helpers`) on a DB service that does not pass the org,
    by keyword or by position. An explicit `org_id=None` does not count. A helper that
    takes the tenant from another parameter when the org is not given (`"company_id":
    company_id or user.get("company_id")`) is scoped by a call that passes the
    principal there (`write_audit(sb, current_user, "crew_blocked")`).

    ## Why is this bad?
    The helper can only scope its query by the org it receives. Falling back to an org
    stored on the service instance is fragile: services travel between requests, tasks
    and admin code, and the context is lost without anybody noticing.

    ## Example
    ```python
    call = db.get_call(call_id)
    ```

    ## Use instead
    ```python
    call = db.get_call(call_id, org_id=clerk_org_id)
    ```

    ## Fix
    `--fix` passes the org by keyword when exactly one variable in scope provably holds
    the principal's tenant id:
    ```python
    def read_call(call_id, current_user, db):
        clerk_org_id = current_user["clerk_org_id"]
        return db.get_call(call_id)
    ```
    becomes
    ```python
    def read_call(call_id, current_user, db):
        clerk_org_id = current_user["clerk_org_id"]
        return db.get_call(call_id, org_id=clerk_org_id)
    ```

    ## Options
    `scoped-helpers`: a table from helper name to the name of its org parameter.
    """
    valid = (
        # A project method named like a default helper but without an org parameter.
        Example(
            "def f(db, i):\n    return db.get_campaign(i)\n",
            files=(
                (
                    "db.py",
                    "class DatabaseService:\n    def get_campaign(self, campaign_id):\n"
                    '        return self.select_one("campaigns", {"id": campaign_id})\n',
                ),
            ),
        ),
        "def f(db, i, org):\n    db.get_call(i, org_id=org)\n",
        "def f(db, i, org):\n    db.get_call(i, org)\n",
        "def f(db, i, kw):\n    db.get_call(i, **kw)\n",
        "def get_story(story_id, org_id):\n"
        '    return db.select_one("stories", {"id": story_id, "clerk_org_id": org_id})\n\n'
        'def route(story_id, current_user):\n    org_id = current_user["clerk_org_id"]\n'
        "    return get_story(story_id, org_id)\n",
        # A telephony client's get_call is not a DB helper.
        "def f(twilio_client, sid):\n    twilio_client.get_call(sid)\n",
        "def f(i):\n    get_call(i)\n",
    )
    invalid = (
        # A module-level helper that scopes by its org parameter, called without it.
        "def get_story(story_id, org_id):\n"
        '    return db.select_one("stories", {"id": story_id, "clerk_org_id": org_id})\n\n'
        'def route(story_id, current_user):\n    org_id = current_user["clerk_org_id"]\n'
        "    return get_story(story_id)  # expect: ORG004\n",
        "def f(db, i):\n    return db.get_call(i)  # expect: ORG004\n",
        "def f(db, i):\n    return db.get_voice(i, org_id=None)  # expect: ORG004\n",
        Example(
            "def f(db, i):\n    return db.get_agent(i)  # expect: ORG004\n",
            config=(("scoped-helpers", {"get_agent": "org_id"}),),
        ),
    )

    def check(self, facts: FileFacts, project: Project) -> Iterator[Finding]:
        for index, call in enumerate(facts.helper_calls):
            db_receiver = call.receiver_class is None or call.receiver_class in (
                project.config.db_classes
            )
            plain = not call.receiver
            param = project.helper_param(
                call.name, call.receiver_class, db_receiver, plain, facts.path
            )
            if param is None or call.ownership_checked or passes_org(call, param, project):
                continue
            if falls_back_on_principal(call, facts, project):
                continue  # the helper takes the tenant from the principal it is given
            callee = f"{call.receiver}.{call.name}" if call.receiver else call.name
            message = (
                f"`{callee}` is called without `{param}`: the helper cannot "
                f"scope its query to the caller's organization"
                f"{follow_note(f'h{index}', facts, project)}"
            )
            fix = (
                {"kind": "add-argument", "name": param, "var": call.fix_var}
                if call.fix_var
                else None
            )
            yield self.finding(
                facts,
                call.span,
                message,
                snippet=call.snippet,
                fix=fix,
                related=follow_related(f"h{index}", facts, project),
            )
