"""Functions that run only on behalf of system code, across the project's files.

A verified webhook hands its event to a service method in another module; a route
behind a platform-admin guard calls a reconciliation service; a scheduled job calls a
repository. Those callees run with no tenant to scope by, exactly like their callers,
but nothing in their own code shows it. When every call site of a function is known
(the caller proof's call graph: `caller_proof.callers_of`, which gives up on any call it
cannot resolve) and every one of them is in system code, the function is too, with the
reason "called only from `caller` (its reason)". A function with one call from a
request route stays judged as request code. Only what summaries carry counts (a
detected context, a configured system dependency), so a partial run decides as a full
run does; a `# orgscope: system-context` comment covers its own function only.
"""

from __future__ import annotations

from orgscope_lint.facts import FunctionFact
from orgscope_lint.project import Project

MAX_DEPTH = 4


def reason(fn: FunctionFact, path: str, project: Project) -> str | None:
    """Why `fn` (in `path`) runs only in system context, as the project shows it: it
    calls a signature verifier of another module, or its callers are all system code.
    None when its own module shows it (the suppressions say so directly) or neither."""
    from orgscope_lint.suppressions import detected_reason

    if fn.system_dependency or detected_reason(fn, project.platform_guards, project.enqueued):
        return None
    return (
        _verifier_called(fn, path, project)
        or _unmounted(fn, path, project)
        or _inherited(fn, path, project, 0, frozenset())
    )


def own_reason(fn: FunctionFact, path: str, project: Project) -> str | None:
    from orgscope_lint.suppressions import detected_reason

    if fn.system_dependency:
        return f"route depends on {fn.system_dependency}"
    found = detected_reason(fn, project.platform_guards, project.enqueued)
    return found or _verifier_called(fn, path, project) or _unmounted(fn, path, project)


def _unmounted(fn: FunctionFact, path: str, project: Project) -> str | None:
    from orgscope_lint.mounted_routers import unmounted_reason

    return unmounted_reason(path, project) if fn.route else None


def _verifier_called(fn: FunctionFact, path: str, project: Project) -> str | None:
    """`event = stripe_service.construct_webhook_event(payload, signature)`: it calls a
    function of another module whose own code verifies a webhook signature (the one
    project function of that name), or rejects the request unless such a function
    answers that the signature matches (`if not verifier.verify_signature(...): raise`)."""
    from orgscope_lint.analysis.caller_proof import targets

    for call in project.calls_in(path, fn.qualname):
        callees, _ = targets(call, project, path)
        callee = callees[0] if len(callees) == 1 else None
        verifier = callee.system_context if callee is not None else None
        if verifier and verifier.startswith("webhook: signature verified"):
            return f"webhook: calls `{call.name}`: {verifier.removeprefix('webhook: ')}"
        if callee is not None and callee.answers_signature and call.name in fn.rejects_unless:
            how = callee.answers_signature
            return f"webhook: rejected unless `{call.name}` ({how}) says the signature matches"
    return None


def _inherited(
    fn: FunctionFact, path: str, project: Project, depth: int, visiting: frozenset[tuple]
) -> str | None:
    from orgscope_lint.analysis.caller_proof import callers_of

    here = (path, fn.qualname)
    if depth > MAX_DEPTH or here in visiting or fn.route:
        return None
    memo = project.system_reach
    if here in memo:
        return memo[here]
    found: str | None = None
    sites = callers_of(fn, project)
    for site in sites:
        caller = project.function_at.get((site.path, site.call.function or ""))
        why = None
        if caller is not None:
            why = own_reason(caller, site.path, project) or _inherited(
                caller, site.path, project, depth + 1, visiting | {here}
            )
        if why is None:
            found = None
            break
        found = found or f"called only from `{caller.qualname}` ({why})"
    if not visiting:
        memo[here] = found  # within a cycle a result may be partial
    return found
