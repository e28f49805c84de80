"""The reply files of rectification_updates/ and their accounting.

inputs.md, "Bad input": nothing is dropped silently. A reply file that cannot
be read, or lacks a required column, is rejected whole with a message naming
the file; a row refused on its own (unknown item, unknown status, resolved
without a note, no 填报时间) is kept with its reason. So each reply file gets a
row of ``file_quality`` like every other inbox file (source
``rectification_updates``, no partition):

* rejected: rows 0, the reason in ``message``;
* loaded: rows_read = the answered rows (整改状态 filled in) = rows_loaded
  (accepted) + rows_quarantined (refused); duplicates_removed 0 (a reply
  stored before is not stored twice, but is still the file's loaded row);
  unanswered rows (整改状态 empty) are skipped as the contract says, and
  counted in ``message``.

Refused rows go to ``quarantine`` (row = the row under the header, reason =
the refusal's code, detail = its Chinese/English reason, raw_values = the
row's reply cells under the contract's column names), masked like every
quarantined row.

The ledger step knows the accepted and refused rows (refusal needs the
ledger's item ids), so it writes these rows to ``reply_file_quality`` and
``reply_quarantine`` and puts them into ``file_quality`` and ``quarantine``;
ingest_quality, which rewrites those two tables and runs before it, takes the
last run's back from there until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from assets.db import table_names, transaction
from assets.ingest import queries
from assets.ingest.contract import UPDATES_SOURCE
from assets.ingest.readers import first_line
from assets.ingest.staging import FILE_QUALITY_SCHEMA
from assets.ingest.validate import QUARANTINE_SCHEMA
from assets.rectification.department_lists import ReplyFileRejected, dept_of_list_name, read_returned_list_with_counts
from assets.rectification.masking import mask_text_expr
from assets.rectification.raw_values_masking import mask_raw_values_expr

REPLY_SOURCE = UPDATES_SOURCE.name
REPLY_QUALITY_TABLE = "reply_file_quality"
REPLY_QUARANTINE_TABLE = "reply_quarantine"
RAW_COLUMNS = ("item_id", "status", "note", "updated_by", "updated_at_raw")


@dataclass
class ReplyFile:
    name: str
    fingerprint: str
    answered: int = 0  # rows with 整改状态 filled in
    skipped: int = 0  # rows naming an item with 整改状态 empty
    rejected: str | None = None  # why the whole file was rejected


@dataclass
class ReplyFiles:
    updates: pl.DataFrame
    files: list[ReplyFile] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def rejected(self) -> list[ReplyFile]:
        return [f for f in self.files if f.rejected is not None]


def _hidden(path: Path, folder: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(folder).parts)


def read_update_files(folder: Path) -> ReplyFiles:
    """Every reply file in ``folder``: the update rows of the readable ones
    and one ReplyFile each. Office lock files (~$…) and dot-files are not
    files of the inbox; a file in a subfolder is listed as rejected (it is
    not read, and is not ignored silently either)."""
    frames, files = [], []
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder)):
            stat = path.stat()
            name = path.relative_to(folder).as_posix()
            reply = ReplyFile(name, f"{name}|{stat.st_size}|{stat.st_mtime_ns}")
            files.append(reply)
            if path.parent != folder:
                reply.rejected = f"子文件夹中的文件不读取，请放在 {REPLY_SOURCE}/ 下 (files in subfolders are not read)"
                continue
            try:
                frame, reply.skipped = read_returned_list_with_counts(path)
            except ReplyFileRejected as exc:
                reply.rejected = str(exc)
                continue
            except Exception as exc:  # a broken reply file must not stop the ledger
                reply.rejected = f"文件无法读取 (cannot read the file): {first_line(exc)}"
                continue
            reply.answered = frame.height
            frames.append(frame)
    updates = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return ReplyFiles(updates, files)


def reply_file_quality(files: list[ReplyFile], accepted: pl.DataFrame, refused: pl.DataFrame) -> pl.DataFrame:
    """One file_quality row per reply file (see the module doc)."""
    loaded = _count_by_file(accepted)
    quarantined = _count_by_file(refused)
    rows = []
    for f in files:
        if f.rejected is not None:
            rows.append((REPLY_SOURCE, f.name, None, "rejected", 0, 0, 0, 0, f.rejected, f.fingerprint, ""))
            continue
        n_loaded, n_refused = loaded.get(f.name, 0), quarantined.get(f.name, 0)
        notes = []
        if n_refused:
            notes.append(f"{n_refused} 行被拒，原因见隔离清单 ({n_refused} rows refused, see export quarantine)")
        if f.skipped:
            notes.append(f"未作答（整改状态为空）的 {f.skipped} 行已跳过 ({f.skipped} unanswered rows skipped)")
        # every answered row is either accepted or refused (validate_updates)
        rows.append((REPLY_SOURCE, f.name, None, "loaded", f.answered, n_loaded, n_refused, 0, "；".join(notes), f.fingerprint, ""))
    return pl.DataFrame(rows, schema=FILE_QUALITY_SCHEMA, orient="row")


def _count_by_file(frame: pl.DataFrame) -> dict[str, int]:
    if frame.height == 0:
        return {}
    return dict(frame.group_by("source_file").len().iter_rows())


def reply_quarantine(refused: pl.DataFrame) -> pl.DataFrame:
    """The refused reply rows as quarantine rows, masked."""
    if refused.height == 0:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    raw = refused.with_columns(
        pl.coalesce(pl.col("updated_at_raw"), pl.col("updated_at").dt.strftime("%Y-%m-%d %H:%M:%S")).alias("updated_at_raw")
    )
    return (
        raw.select(
            pl.lit(REPLY_SOURCE).alias("source"),
            pl.col("source_file").alias("file"),
            pl.lit(None, pl.Date).alias("partition_date"),
            pl.col("source_row").alias("row"),
            pl.col("reason_code").alias("reason"),
            pl.col("reason").alias("detail"),
            pl.struct(
                *[pl.col(c).alias("updated_at" if c == "updated_at_raw" else c) for c in RAW_COLUMNS]
            ).struct.json_encode().alias("raw_values"),
        )
        .cast(QUARANTINE_SCHEMA)
        .sort("file", "row")
        .with_columns(mask_raw_values_expr(), mask_text_expr("detail"))
    )


# A refused reply whose item is on the ledger goes back to that item's
# department. One naming no item (empty, mistyped, made up) has no
# department of its own; while it is still in a reply file named like one
# of a department's lists, it goes back to that department, which can
# correct the file. Once no file of the inbox holds it, it was corrected or
# taken away, and nobody has anything left to do about it.
INBOX_REFUSALS_SCHEMA = {"update_key": pl.String, "returned_to": pl.String}


def department_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse's department ids (none before reference data is loaded):
    what a reply file's name is matched against."""
    if "departments" not in table_names(con):
        return []
    return [d for (d,) in con.execute("SELECT dept_id FROM departments").fetchall()]


def inbox_refusals(keyed: pl.DataFrame, dept_ids: list[str]) -> pl.DataFrame:
    """The stored refusals still in the inbox's reply files (``keyed``:
    ledger_store.keyed_refusals of this run's refused rows), with the
    department an unknown item's refusal goes back to (INBOX_REFUSALS_SCHEMA)."""
    if keyed.height == 0:
        return pl.DataFrame(schema=INBOX_REFUSALS_SCHEMA)
    unknown = keyed.filter(pl.col("reason_code") == "unknown_item")
    owner = {f: dept_of_list_name(f, dept_ids) for f in unknown["source_file"].unique().drop_nulls().to_list()}
    return keyed.select(
        "update_key",
        returned_to=pl.when(pl.col("reason_code") == "unknown_item")
        .then(pl.col("source_file").replace_strict(owner, default=None, return_dtype=pl.String)),
    )


def publish_reply_accounting(con: duckdb.DuckDBPyConnection, quality: pl.DataFrame, quarantine: pl.DataFrame) -> None:
    """Write the reply files' rows, and put them into file_quality and
    quarantine in place of the last run's (when ingest_quality has made
    those tables), in one transaction."""
    tables = table_names(con)
    con.register("__quality", quality.cast(FILE_QUALITY_SCHEMA))
    con.register("__quarantine", quarantine.cast(QUARANTINE_SCHEMA))
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TABLE {REPLY_QUALITY_TABLE} AS SELECT * FROM __quality")
        con.execute(f"CREATE OR REPLACE TABLE {REPLY_QUARANTINE_TABLE} AS SELECT * FROM __quarantine")
        if "file_quality" in tables:
            con.execute(queries.FILE_QUALITY_WITH_SOURCE_ROWS.format(source=REPLY_SOURCE, rows=REPLY_QUALITY_TABLE))
        if "quarantine" in tables:
            con.execute(f"DELETE FROM quarantine WHERE source = '{REPLY_SOURCE}'")
            con.execute(f"INSERT INTO quarantine BY NAME SELECT * FROM {REPLY_QUARANTINE_TABLE}")
    con.unregister("__quality")
    con.unregister("__quarantine")


def stored_reply_accounting(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The reply files' rows as the last ledger step wrote them (empty before
    the first), for ingest_quality."""
    tables = table_names(con)
    quality = (
        con.sql(f"SELECT * FROM {REPLY_QUALITY_TABLE}").pl().cast(FILE_QUALITY_SCHEMA)
        if REPLY_QUALITY_TABLE in tables else pl.DataFrame(schema=FILE_QUALITY_SCHEMA)
    )
    quarantine = (
        con.sql(f"SELECT * FROM {REPLY_QUARANTINE_TABLE}").pl().cast(QUARANTINE_SCHEMA)
        if REPLY_QUARANTINE_TABLE in tables else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    return quality, quarantine
