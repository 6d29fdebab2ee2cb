"""Service methods that return (result, error) pairs, built from a row, behind a tracing
decorator: what their summaries say and what their callers' unpacking keeps."""

from __future__ import annotations

import ast
import textwrap

import pytest

from orgscope_lint.analysis import analyze_module
from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts, FunctionFact


def facts_of(source: str) -> FileFacts:
    text = textwrap.dedent(source)
    facts = analyze_module("service.py", text, ast.parse(text), Config())
    assert facts.error is None, facts.error
    return facts


def function(facts: FileFacts, qualname: str) -> FunctionFact:
    return next(fn for fn in facts.functions if fn.qualname == qualname)


PAIR = """
    class Service:
        {decorator}
        async def get(self, agent_id):
            response = self.db.table("voice_agents").select("*").eq("id", agent_id).execute()
            if not response.data:
                return None, "Agent not found"
            return {returned}, None
    """


@pytest.mark.parametrize(
    "returned",
    ["VoiceAgent(**response.data[0])", "response.data[0]", "Agent.from_row(response.data[0])"],
)
def test_a_pair_returning_a_row_returns_that_read(returned: str) -> None:
    facts = facts_of(PAIR.format(decorator="", returned=returned))
    (read,) = facts.queries
    assert function(facts, "Service.get").returns_query == read.span


@pytest.mark.parametrize(
    "returned",
    [
        # Built from the row and something else, or from a value of another origin.
        "VoiceAgent(**response.data[0], name=agent_id)",
        "VoiceAgent(**defaults)",
    ],
)
def test_other_pairs_return_no_read(returned: str) -> None:
    facts = facts_of(PAIR.format(decorator="", returned=returned))
    assert function(facts, "Service.get").returns_query is None


@pytest.mark.parametrize(
    ("decorator", "registered"),
    [
        ('@tracer.start_as_current_span("agent.get")', False),
        ("@tracer.start_as_current_span", False),
        ("@functools.lru_cache", False),
        ('@app.task(name="agent.get")', True),
        ('@bus.on("agent.created")', True),
    ],
)
def test_a_tracing_span_wraps_and_registers_nothing(decorator: str, registered: bool) -> None:
    facts = facts_of(PAIR.format(decorator=decorator, returned="response.data[0]"))
    assert function(facts, "Service.get").registered is registered


def test_unpacking_a_call_keeps_the_call_on_its_first_name() -> None:
    text = textwrap.dedent(
        """
        class Service:
            async def get_agent(self, agent_id):
                return None, None

        service = Service()

        async def route(agent_id, user_profile):
            agent, error = await service.get_agent(agent_id)
            if not user_profile.has_role("org_admin", str(agent.organization_id)):
                raise PermissionError(agent_id)
            return agent
        """
    )
    config = Config(principal_names=("user_profile",))
    facts = analyze_module("routes.py", text, ast.parse(text), config)
    (call,) = [c for c in facts.calls if c.name == "get_agent"]
    assert call.result_guarded or call.result_checked
