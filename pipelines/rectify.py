"""`windowwatch rectify` and `windowwatch export rectification`.

An update typed at the command line goes through the same validation as a
returned list and into the same append-only history; it takes effect in the
statuses of every run whose as-of date is on or after its date.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from assets.db import table_names
from assets.rectification.department_lists import department_list_rows, write_department_workbook
from assets.rectification.ledger_csv import write_ledger_csv
from assets.rectification.ledger_publish import published_as_of
from assets.rectification.ledger_store import append_updates, ledger_item_dates, open_ledger
from assets.rectification.status import validate_updates
from pipelines.exports import table_connection
from pipelines.clock import SHANGHAI
from pipelines.resources import Warehouse


class UpdateRefused(Exception):
    pass


CLI_SOURCE = "windowwatch rectify"


def record_update(ledger_file: Path, item_id: str, status: str, note: str, by: str, on: date) -> pl.DataFrame:
    """Validate and append one update; returns the accepted row."""
    if not ledger_file.exists():
        raise UpdateRefused(f"整改台账还不存在 no ledger yet: {ledger_file} (run `windowwatch run` first)")
    now = datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)
    updated_at = datetime.combine(on, now.time()) if on != now.date() else now
    row = pl.DataFrame(
        {
            "item_id": [item_id],
            "status": [status],
            "note": [note],
            "updated_by": [by],
            "updated_at": [updated_at],
            "source_file": [CLI_SOURCE],
            "source_row": [1],
        }
    )
    con = open_ledger(ledger_file)
    try:
        accepted, refused = validate_updates(row, ledger_item_dates(con, among=[item_id]))
        if refused.height:
            raise UpdateRefused(f"更新被拒绝 update refused: {refused['reason'][0]}")
        append_updates(con, accepted, run_id="cli")
    finally:
        con.close()
    return accepted


def export_rectification(warehouse: Warehouse, out: Path, dept: str | None, as_of_hint: date | None = None) -> Path:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UpdateRefused(f"--out 应以 .csv 或 .xlsx 结尾: {out}")
    with table_connection(warehouse, "rectification_items") as con:
        if dept:
            # department codes are typed by hand: bdc finds BDC
            known = [d for (d,) in con.execute(
                "SELECT DISTINCT dept_id FROM rectification_items WHERE lower(dept_id) = lower(?)", [dept]
            ).fetchall()]
            if not known:
                raise UpdateRefused(f"部门 {dept} 没有整改事项 no items for department {dept}")
            dept = dept if dept in known else known[0]
        if suffix == ".csv":
            return write_ledger_csv(con, out, dept=dept)
        ledger = con.sql("SELECT * FROM rectification_items WHERE $dept IS NULL OR dept_id = $dept",
                         params={"dept": dept}).pl()
        as_of = published_as_of(con) or as_of_hint or date.today()
        # one department's list is titled with its name, as its nightly list is
        dept_name = _dept_name(con, dept) if dept else None
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_department_workbook(department_list_rows(ledger), out, as_of=as_of, dept_name=dept_name)


def _dept_name(con, dept: str) -> str | None:
    if "departments" not in table_names(con):
        return None
    found = con.execute("SELECT dept_name FROM departments WHERE dept_id = ?", [dept]).fetchone()
    return found[0] if found else None
