"""One missing check, one finding: a function's gates and pre-checks on a tenant id the
request chose are listed in the finding where that id does harm.

```python
plan = get_plan(client, org_id)              # a gate: the plan only decides (and names
if seats > plan["seats"]:                    # its tier in the error)
    raise HTTPException(400, f"The {plan['tier']} plan allows fewer seats")
add_seat(client, org_id, body.email)         # the write: reported, listing the gate
```

Every site takes the same unverified `org_id`; adding the membership check once fixes
them all. A read whose rows stay in the function (`analysis/staying_rows.py`: decided
on, put in an error, or handed only to calls that are themselves reported for this id)
is folded into the first site of the function, for the same source, whose result
leaves or that writes. With no such site, every read is reported as before: alone, a
plan's name in an error message is still another tenant's data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from orgscope_lint.facts import HandedOn
from orgscope_lint.findings import Finding, Related

FOLDED = "a gate or pre-check on the same request-chosen tenant id: its rows stay here"


@dataclass(frozen=True)
class Site:
    """A finding, with what the fold needs to know of the query or call it is at."""

    finding: Finding
    function: str | None
    source: str  # where the tenant id comes from
    # What the read's rows are handed on to, when they stay in the function; None when
    # they leave it, or the site writes.
    stays: HandedOn | None

    @property
    def start(self) -> tuple[int, int]:
        return (self.finding.span.line, self.finding.span.column)


def fold(sites: Iterable[Site]) -> Iterator[Finding]:
    """The findings, each function's staying reads folded into its first other site
    for the same source."""
    groups: dict[tuple[str, str], list[Site]] = {}
    for site in sites:
        if site.function is None:
            yield site.finding
        else:
            groups.setdefault((site.function, site.source), []).append(site)
    for group in groups.values():
        yield from _folded(group)


def _folded(group: list[Site]) -> Iterator[Finding]:
    starts = {site.start for site in group}
    staying = [site for site in group if _stays_among(site.stays, starts)]
    kept = sorted((site for site in group if site not in staying), key=lambda s: s.start)
    if not kept:
        yield from (site.finding for site in group)
        return
    first, *others = kept
    related = tuple(
        Related(site.finding.path, site.finding.line, FOLDED)
        for site in sorted(staying, key=lambda s: s.start)
    )
    yield replace(first.finding, related=first.finding.related + related)
    yield from (site.finding for site in others)


def _stays_among(stays: HandedOn | None, starts: set[tuple[int, int]]) -> bool:
    """The rows stay, and each use handed on goes into a call that is a site too."""
    return stays is not None and all(
        any(start in starts for start in enclosing) for enclosing in stays
    )
