"""Which items a night's ledger merge must look at.

``ledger_store.merge_found`` compares what the finders found with the
ledger. At a city's year that is a full join of ~2.1 M found items with
~2.1 M ledger items and their descriptions, every night, while a night
changes a few tens of thousands of them. So each merge records in the ledger,
in its own transaction, which content of each rule's found table it merged
(``found_items_versions.content_id``, written by found_refresh.write_found)
and as of which date (``ledger_merged_found``). When every found table is
exactly one write past the content the ledger merged, an item can need a
write only if

* that write touched it (``found_items_touched``: its found row was added,
  removed or changed);
* it is not withdrawn and was detected after the merged as-of date: not
  found and out of the last merge's scope, it may be in this one's;
* it has a reply (``ledger_updates``): an item that is no longer found is
  left alone while resolved, and whether it is resolved moves with the
  replies and the as-of date.

Every other item was found and merged exactly as it is found now, or was
withdrawn and is still not found: the whole join would leave it alone too.
Anything else merges whole: a found table written twice since the last merge
(a ledger step that failed), a rule found with no previous content (a new or
rebuilt warehouse), an earlier as-of date, some rules only, or a ledger put
back from a backup (its record names content the warehouse has moved past).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb

from assets.db import table_names

from .found_refresh import TOUCHED_TABLE, VERSIONS_TABLE

MERGED_TABLE = "ledger_merged_found"

CANDIDATES = """
SELECT item_id FROM {wh}.{touched}
UNION SELECT item_id FROM ledger_items WHERE NOT withdrawn AND detected_on > $merged_as_of
UNION SELECT item_id FROM ledger_updates
"""


@dataclass(frozen=True)
class MergeScope:
    """The found tables' versions to record after the merge (None: the
    warehouse has none), and the candidate item ids as SQL with its
    parameters (None: merge the whole ledger)."""

    versions: str | None
    candidates: str | None = None
    params: dict | None = None

    @property
    def scoped(self) -> bool:
        return self.candidates is not None


def plan_merge_scope(con: duckdb.DuckDBPyConnection, wh: str, *, as_of: date, rules: Iterable[str]) -> MergeScope:
    """The scope of a merge on the ledger connection ``con`` of the found
    tables of ``rules`` in the attached warehouse ``wh`` (module docstring)."""
    rules = list(rules)
    wh_tables = table_names(con, catalog=wh)
    if VERSIONS_TABLE not in wh_tables:
        return MergeScope(None)
    versions = f"{wh}.{VERSIONS_TABLE}"
    if TOUCHED_TABLE not in wh_tables:  # the ledger has MERGED_TABLE: open_ledger migrates it
        return MergeScope(versions)
    found = dict(
        con.execute(f"SELECT rule, previous_content_id FROM {versions} WHERE list_contains(?, rule)", [rules]).fetchall()
    )
    merged = {r: (c, a) for r, c, a in con.execute(f"SELECT rule, content_id, as_of FROM {MERGED_TABLE}").fetchall()}
    if set(merged) != set(rules) or set(found) != set(rules):
        return MergeScope(versions)
    if any(found[r] is None or found[r] != merged[r][0] or merged[r][1] > as_of for r in rules):
        return MergeScope(versions)
    merged_as_of = min(a for _c, a in merged.values())
    return MergeScope(
        versions,
        CANDIDATES.format(wh=wh, touched=TOUCHED_TABLE),
        {"merged_as_of": merged_as_of},
    )


def record_merged(
    con: duckdb.DuckDBPyConnection, scope: MergeScope | None, *, as_of: date | None, rules: Iterable[str]
) -> None:
    """Within a merge's transaction: the found contents it merged, as of
    ``as_of``. Without a scope, or when the warehouse names no contents, the
    record is only cleared, and the next merge is whole."""
    con.execute(f"DELETE FROM {MERGED_TABLE}").fetchall()
    if scope is not None and scope.versions is not None:
        con.execute(
            f"INSERT INTO {MERGED_TABLE} SELECT rule, content_id, ? FROM {scope.versions} WHERE list_contains(?, rule)",
            [as_of, list(rules)],
        ).fetchall()
