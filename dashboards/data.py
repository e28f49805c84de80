"""Read-only queries of the warehouse, as polars frames.

``SiteData`` opens ``warehouse.duckdb`` read-only once, reads each table the
pages need at most once (cached), and says which optional tables are absent
(rectification and staffing are written by other parts of the graph and may
not exist yet). No personal-data column (phones, comments, raw row values) is
ever selected.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import duckdb
import polars as pl

from assets.rectification.list_publish import REFUSALS_FOLLOWED, REFUSED_TABLE, refusals_followable
from dashboards.rectification_data import ITEM_COUNTS, SHOWN_ITEMS, items_as_of, week_of_today


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def previous_month(period: str) -> str:
    y, m = (int(p) for p in period.split("-"))
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


LOCK_MARKERS = ("Could not set lock", "Conflicting lock")

# Descriptions of the items a page shows. By rowid DuckDB fetches the rows
# without comparing two million item ids (a tenth of the time at city scale).
SHOWN_DESCRIPTIONS_BY_ROWID = """
SELECT r.item_id, r.description FROM rectification_items r
SEMI JOIN shown_items s ON r.rowid = s._rowid
"""
SHOWN_DESCRIPTIONS = """
SELECT r.item_id, r.description FROM rectification_items r
SEMI JOIN shown_items s USING (item_id)
"""


def _connect_read_only(path: Path, attempts: int = 12) -> duckdb.DuckDBPyConnection:
    """Open read-only; while another process holds the file (a step of a
    parallel run finishing its write), wait and retry with back-off."""
    delay = 0.1
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            if not any(m in str(exc) for m in LOCK_MARKERS) or attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


class SiteData:
    """Everything the pages read, as of ``as_of``."""

    QUEUE_DAYS = 28  # the queue page looks at the last four weeks
    TREND_DAYS = 90  # the daily trends (overview, every window's page)

    def __init__(self, warehouse_path: Path, as_of: date):
        self.path = Path(warehouse_path)
        self.as_of = as_of
        self.period = month_of(as_of)
        self.prev_period = previous_month(self.period)
        self.con = _connect_read_only(self.path)
        rows = self.con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        self.tables = {r[0] for r in rows}
        self.base_tables = {name for name, kind in rows if kind == "BASE TABLE"}  # these have a rowid
        self._columns: dict[str, set[str]] = {}

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SiteData":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------
    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    def columns(self, table: str) -> set[str]:
        if table not in self.tables:
            return set()
        if table not in self._columns:
            rows = self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
                [table],
            ).fetchall()
            self._columns[table] = {r[0] for r in rows}
        return self._columns[table]

    def _scores(self, table: str) -> str:
        """The columns of a score table the pages may read: not the method's
        hash, and not the per-row ``as_of`` stamp, which says which run wrote
        the row (an incremental score step keeps old rows) — the pages show
        the site's as-of date only."""
        hidden = [c for c in ("config_hash", "as_of") if c in self.columns(table)]
        return f"* EXCLUDE ({', '.join(hidden)})" if hidden else "*"

    def sql(self, query: str, params: list | dict | None = None) -> pl.DataFrame:
        return self.con.sql(query, params=params).pl() if params else self.con.sql(query).pl()

    def _table(self, name: str, query: str, params: list | None = None) -> pl.DataFrame | None:
        return self.sql(query, params) if name in self.tables else None

    # -- reference -----------------------------------------------------
    @cached_property
    def halls(self) -> pl.DataFrame:
        if "halls" in self.tables:
            return self.sql("SELECT hall_id, hall_name FROM halls ORDER BY hall_id")
        return pl.DataFrame({"hall_id": ["main"], "hall_name": [None]}, schema={"hall_id": pl.String, "hall_name": pl.String})

    @cached_property
    def departments(self) -> pl.DataFrame:
        return self.sql("SELECT dept_id, dept_name FROM departments ORDER BY dept_id")

    @cached_property
    def windows(self) -> pl.DataFrame:
        """windows with dept_name and hall_name."""
        hall_join = "LEFT JOIN halls h USING (hall_id)" if "halls" in self.tables else ""
        hall_name = "h.hall_name" if "halls" in self.tables else "NULL::VARCHAR"
        return self.sql(
            f"""SELECT w.hall_id, w.window_id, w.window_name, w.dept_id, w.window_type,
                       d.dept_name, {hall_name} AS hall_name
                FROM windows w LEFT JOIN departments d USING (dept_id) {hall_join}
                ORDER BY w.hall_id, w.window_id"""
        )

    @cached_property
    def staff(self) -> pl.DataFrame:
        return self.sql("SELECT staff_id, staff_name, dept_id, hall_id, window_id, role FROM staff ORDER BY staff_id")

    # -- scores --------------------------------------------------------
    @cached_property
    def window_monthly(self) -> pl.DataFrame | None:
        return self._table(
            "window_scores_monthly",
            f"SELECT {self._scores('window_scores_monthly')} FROM window_scores_monthly WHERE period <= ? ORDER BY period, hall_id, window_id",
            [self.period],
        )

    @property
    def trend_start(self) -> date:
        return self.as_of - timedelta(days=self.TREND_DAYS - 1)

    @cached_property
    def window_daily(self) -> pl.DataFrame | None:
        """The windows' day rows of the trends' 90 days: the pages show no
        older day, and a city's year holds four times as many (reading them
        all was 0.5–1.8 s of the site)."""
        frame = self._table(
            "window_scores_daily",
            f"SELECT {self._scores('window_scores_daily')} FROM window_scores_daily "
            "WHERE period BETWEEN ? AND ? ORDER BY hall_id, window_id, period",
            [self.trend_start.isoformat(), self.as_of.isoformat()],
        )
        return None if frame is None else frame.with_columns(pl.col("period").str.to_date().alias("date"))

    @cached_property
    def red_black(self) -> pl.DataFrame | None:
        return self._table(
            "red_black_lists",
            f"SELECT {self._scores('red_black_lists')} FROM red_black_lists WHERE period <= ? ORDER BY period, hall_id, list DESC, position",
            [self.period],
        )

    @cached_property
    def dept_monthly(self) -> pl.DataFrame | None:
        return self._table(
            "dept_scores_monthly",
            f"SELECT {self._scores('dept_scores_monthly')} FROM dept_scores_monthly WHERE period <= ? ORDER BY period, dept_id",
            [self.period],
        )

    @cached_property
    def dept_daily(self) -> pl.DataFrame | None:
        frame = self._table(
            "dept_scores_daily",
            f"SELECT {self._scores('dept_scores_daily')} FROM dept_scores_daily WHERE period <= ? ORDER BY dept_id, period",
            [self.as_of.isoformat()],
        )
        return None if frame is None else frame.with_columns(pl.col("period").str.to_date().alias("date"))

    @cached_property
    def staff_monthly(self) -> pl.DataFrame | None:
        return self._table(
            "staff_scores_monthly",
            f"SELECT {self._scores('staff_scores_monthly')} FROM staff_scores_monthly WHERE period <= ? ORDER BY period, hall_id, staff_id",
            [self.period],
        )

    @cached_property
    def case_warnings(self) -> pl.DataFrame | None:
        return self._table(
            "case_warnings",
            """SELECT case_id, hall_id, window_id, dept_id, staff_id, matter_code, received_date, deadline,
                      level, days_past_deadline FROM case_warnings
               ORDER BY level = 'overdue' DESC, days_past_deadline DESC NULLS LAST, deadline, case_id""",
        )

    def window_waits_daily(self, start: date) -> pl.DataFrame | None:
        """Per window and day from ``start``: mean wait (minutes), the share
        called within target and tickets. Summed in the warehouse: a city
        year has tens of millions of tickets and a page needs a point a day."""
        if "ticket_waits" not in self.tables:
            return None
        return self.sql(
            """SELECT hall_id, window_id, date, avg(wait_minutes) AS mean_wait,
                      count_if(within_target) / nullif(count(within_target), 0) AS within_share,
                      count(*) AS tickets
               FROM ticket_waits WHERE date BETWEEN ? AND ?
               GROUP BY hall_id, window_id, date ORDER BY hall_id, window_id, date""",
            [start, self.as_of],
        )

    @cached_property
    def method_settings(self) -> dict:
        """The method config the scores were computed with: the scores step
        keeps it as JSON beside its hash in scores_state; {} for a warehouse
        from before that."""
        if "method_settings" not in self.columns("scores_state"):
            return {}
        rows = self.con.execute("SELECT method_settings FROM scores_state").fetchall()
        return json.loads(rows[0][0]) if len(rows) == 1 and rows[0][0] else {}

    def method_setting(self, path: str, default=None):
        """One value of ``method_settings`` by its dotted path
        (``scoring.ranking.min_volume``), or ``default``."""
        value = self.method_settings
        for key in path.split("."):
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    @property
    def wait_target_minutes(self) -> float | None:
        """The wait target the stored tickets were judged by (None: unknown)."""
        return self.method_setting("scoring.wait_target_minutes")

    @property
    def min_volume(self) -> int:
        """The ranking floor (evaluated cases + ratings in the month); the
        shipped default, 30, for a warehouse that does not keep its config
        (what the pages said before they read it)."""
        return int(self.method_setting("scoring.ranking.min_volume", 30))

    @property
    def list_size(self) -> int:
        """How many windows each of the red and black lists holds (and staff
        are service stars); the shipped default, 3, when unknown."""
        return int(self.method_setting("scoring.ranking.list_size", 3))

    @property
    def staffing_target(self) -> tuple[float, float] | None:
        """(share, minutes) the staffing advice aims at: that share of people
        called within that many minutes; None when unknown."""
        share = self.method_setting("staffing.target_share")
        minutes = self.method_setting("staffing.target_wait_minutes")
        return None if share is None or minutes is None else (float(share), float(minutes))

    @cached_property
    def staffing_weeks(self) -> tuple[date, date] | None:
        """The first Monday and the last Sunday of the weeks the staffing
        advice was made from (staffing_state); None for a warehouse without it."""
        if not {"weeks_from", "weeks_to"} <= self.columns("staffing_state"):
            return None
        rows = self.con.execute("SELECT weeks_from, weeks_to FROM staffing_state").fetchall()
        return (rows[0][0], rows[0][1]) if len(rows) == 1 and None not in rows[0] else None

    def within_target_share(self, start: date) -> float | None:
        """Share of tickets from ``start`` called within target (None: no ticket judged)."""
        if "ticket_waits" not in self.tables:
            return None
        return self.con.execute(
            """SELECT count_if(within_target) / nullif(count(within_target), 0)
               FROM ticket_waits WHERE date BETWEEN ? AND ?""",
            [start, self.as_of],
        ).fetchall()[0][0]  # fetchall completes the result (fetchone leaves the connection busy)

    @cached_property
    def deduction_details(self) -> pl.DataFrame:
        """One row per thing that cost points: hall_id, window_id, staff_id,
        date, what (code words, list), points."""
        parts = []
        if "attendance_days" in self.tables:
            att = self.sql(
                """SELECT hall_id, window_id, staff_id, date, absent, missing_punch, late, early, deduction AS points
                   FROM attendance_days WHERE deduction > 0 AND date <= ?""",
                [self.as_of],
            )
            what = pl.concat_list(
                [
                    pl.when(pl.col(c)).then(pl.lit(c)).otherwise(pl.lit(None, dtype=pl.String))
                    for c in ("absent", "missing_punch", "late", "early")
                ]
            ).list.drop_nulls()
            parts.append(att.select("hall_id", "window_id", "staff_id", "date", what.alias("what"), "points"))
        if "counting_events" in self.tables:
            ev = self.sql(
                """SELECT hall_id, window_id, staff_id, date, event_type, points FROM counting_events
                   WHERE counts AND points > 0 AND date <= ?""",
                [self.as_of],
            )
            parts.append(ev.select("hall_id", "window_id", "staff_id", "date", pl.concat_list("event_type").alias("what"), "points"))
        if "callback_facts" in self.tables:
            cb = self.sql(
                """SELECT hall_id, window_id, staff_id, date, problem_type, points FROM callback_facts
                   WHERE is_problem AND points > 0 AND date <= ?""",
                [self.as_of],
            )
            parts.append(cb.select("hall_id", "window_id", "staff_id", "date", pl.concat_list("problem_type").alias("what"), "points"))
        schema = {
            "hall_id": pl.String, "window_id": pl.String, "staff_id": pl.String, "date": pl.Date,
            "what": pl.List(pl.String), "points": pl.Float64,
        }  # fmt: skip
        if not parts:
            return pl.DataFrame(schema=schema)
        # newest first, then in an order of every shown column: rows of one
        # day would otherwise come in whatever order the parts were read
        return pl.concat([p.cast(schema) for p in parts]).sort(
            pl.col("date"), pl.col("hall_id"), pl.col("window_id"), pl.col("staff_id"),
            pl.col("what").list.join("+"), pl.col("points"),
            descending=[True, False, False, False, False, True], nulls_last=True,
        )

    # -- rectification -------------------------------------------------
    @cached_property
    def refused_replies(self) -> pl.DataFrame | None:
        """Departments' replies the ledger refused (unknown item, bad status,
        no note), with what has become of each (``follow_up``, see
        list_publish.REFUSALS_FOLLOWED; null in a warehouse from before it),
        the ones still to act on first."""
        if REFUSED_TABLE not in self.tables:
            return None
        if not refusals_followable(self.con) or not self.has_rectification:
            return self.sql(
                "SELECT source_file, source_row, item_id, status, reason_code, reason, NULL::VARCHAR AS follow_up"
                f" FROM {REFUSED_TABLE} ORDER BY source_file, source_row"
            )
        return self.sql(
            f"SELECT source_file, source_row, item_id, status, reason_code, reason, follow_up FROM ({REFUSALS_FOLLOWED})"
            " ORDER BY follow_up NOT IN ('waiting', 'no_item'), source_file, source_row"
        )

    @property
    def has_rectification(self) -> bool:
        return "rectification_items" in self.tables

    @cached_property
    def ledger_items(self) -> tuple[int, int]:
        """Items in the whole ledger (every date and status) and those of them
        without a detection date: what the run's ledger CSV counts to choose
        between one file and one per month (``context.full_list``)."""
        if not self.has_rectification:
            return 0, 0
        (n, undated), = self.con.execute("SELECT count(*), count(*) - count(detected_on) FROM rectification_items").fetchall()
        return n, undated

    def _items_as_of(self) -> str:
        return items_as_of(self.columns("rectification_items"), with_rowid="rectification_items" in self.base_tables)

    @cached_property
    def rectification_counts(self) -> pl.DataFrame | None:
        """Items found by the as-of date, counted per hall, window,
        department, rule, status, age bucket and flag (``n``), with the
        oldest age (rectification_data.ITEM_COUNTS); withdrawn ones too."""
        if not self.has_rectification:
            return None
        week_start, week_end = week_of_today(self.as_of)
        return self.sql(
            ITEM_COUNTS.format(items=self._items_as_of()),
            {"as_of": self.as_of, "month_start": self.as_of.replace(day=1), "week_start": week_start, "week_end": week_end},
        )

    @cached_property
    def rectification_shown(self) -> pl.DataFrame | None:
        """Every item some page lists (rectification_data.SHOWN_ITEMS), most
        urgent first, with its description: a few tens of thousands of rows
        of a ledger of millions."""
        if not self.has_rectification:
            return None
        week_start, week_end = week_of_today(self.as_of)
        shown = self.sql(
            SHOWN_ITEMS.format(items=self._items_as_of()),
            {"as_of": self.as_of, "week_start": week_start, "week_end": week_end},
        )
        return self.with_descriptions(shown)

    def with_descriptions(self, items: pl.DataFrame) -> pl.DataFrame:
        """``items`` (rows of rectification_items with their ``_rowid``, or
        their ``item_id`` where the ledger is a view) with their description,
        read for these rows only; the order of ``items`` is kept."""
        if "description" in items.columns:
            return items
        if items.height == 0 or "description" not in self.columns("rectification_items"):
            return items.with_columns(pl.lit(None, dtype=pl.String).alias("description"))
        by_rowid = "_rowid" in items.columns
        self.con.register("shown_items", items.select("_rowid" if by_rowid else "item_id"))
        try:
            found = self.sql(SHOWN_DESCRIPTIONS_BY_ROWID if by_rowid else SHOWN_DESCRIPTIONS)
        finally:
            self.con.unregister("shown_items")
        return items.join(found, on="item_id", how="left", maintain_order="left")

    # -- queue ---------------------------------------------------------
    @property
    def queue_start(self) -> date:
        return self.as_of - timedelta(days=self.QUEUE_DAYS - 1)

    @cached_property
    def tickets(self) -> pl.DataFrame | None:
        """Tickets issued in the last QUEUE_DAYS days, with wait minutes: the
        columns the queues page reads (a city's four weeks are ~1.1 M tickets)."""
        return self._table(
            "queue_tickets",
            """SELECT coalesce(nullif(trim(service_category), ''), '未分类') AS service_category,
                      status, CAST(issued_at AS DATE) AS date,
                      isodow(issued_at) AS weekday, hour(issued_at) AS hour,
                      CASE WHEN called_at IS NOT NULL AND called_at >= issued_at
                           THEN epoch(called_at - issued_at) / 60.0 END AS wait_minutes
               FROM queue_tickets
               WHERE issued_at >= ?::TIMESTAMP AND issued_at < ?::TIMESTAMP""",
            # a range on issued_at itself (not on its cast to a date) lets DuckDB skip the
            # staged files outside the four weeks by their Parquet min/max statistics
            [self.queue_start, self.as_of + timedelta(days=1)],
        )

    # -- staffing ------------------------------------------------------
    @cached_property
    def staffing_advice(self) -> pl.DataFrame | None:
        return self._table("staffing_advice", "SELECT * FROM staffing_advice")

    @cached_property
    def staffing_peaks(self) -> pl.DataFrame | None:
        return self._table("staffing_peaks", "SELECT * FROM staffing_peaks")

    # -- data quality --------------------------------------------------
    @cached_property
    def file_quality(self) -> pl.DataFrame | None:
        return self._table(
            "file_quality",
            """SELECT source, file, partition_date, status, rows_read, rows_loaded, rows_quarantined,
                      duplicates_removed, message FROM file_quality ORDER BY source, partition_date, file""",
        )

    @cached_property
    def quarantine(self) -> pl.DataFrame | None:
        """Quarantined rows without their raw values (which hold personal data)."""
        if "quarantine" not in self.tables:
            return None
        frame = self.sql("SELECT source, file, partition_date, row, reason, detail FROM quarantine")
        if "reference_quarantine" in self.tables:
            ref = self.sql("SELECT source, file, partition_date, row, reason, detail FROM reference_quarantine")
            frame = pl.concat([frame, ref]).unique(["source", "file", "row"], keep="first", maintain_order=True)
        return frame.sort("partition_date", "source", "file", "row", descending=[True, False, False, False], nulls_last=True)
