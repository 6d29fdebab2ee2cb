"""The tenant key of a project without SQL migrations, inferred from how its code filters.

With no schema and no configured tables every table is assumed to be a tenant table,
scoped by `tenant-key`. When the code never filters by that key but does filter by one
of the usual tenant columns (`org_id`, `tenant_id`, ...), the default is plainly not this
project's key: reporting every correctly scoped query for lacking it would be noise. The
candidate most filters use is taken instead, and the run says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from orgscope_lint.config import Config
from orgscope_lint.facts import FileFacts


@dataclass(frozen=True)
class InferredKey:
    key: str
    uses: int  # filters and records that carry it
    queries: int  # queries seen in all

    def explain(self, configured: str) -> str:
        return (
            f"tenant key inferred from usage: `{self.key}` ({self.uses} of {self.queries} "
            f"queries filter or insert by it; none uses `{configured}`)"
        )


def infer_key(facts: Iterable[FileFacts], config: Config) -> InferredKey | None:
    """The candidate key most queries carry, when none carries the configured key."""
    counts: Counter[str] = Counter()
    queries = 0
    candidates = set(config.tenant_key_candidates)
    for file_facts in facts:
        for query in file_facts.queries:
            queries += 1
            keys = set(query.shape.key_names)
            if config.tenant_key in keys:
                return None  # the configured key is in use: keep it
            counts.update(keys & candidates)
    if not counts:
        return None
    # Ties go to the earlier candidate, as `init` does.
    order = {key: index for index, key in enumerate(config.tenant_key_candidates)}
    key = max(counts, key=lambda k: (counts[k], -order[k]))
    return InferredKey(key, counts[key], queries)
