"""Reference data: halls, departments, windows, staff, matters.

Replaced whole on each delivery. Its rows go through the same validation as
daily rows, plus the links between tables (a window's department must exist,
a staff member's usual window must exist). The content hash of the result is
the reference *version*: a daily partition staged against another version is
staged again, so a window added later releases the rows it quarantined.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from assets.atomic_files import write_text_atomic
from assets.db import table_names, transaction
from assets.ingest import contract as c, header_hints, queries
from assets.ingest.inbox import InboxFile, is_hidden, newest_first
from assets.ingest.readers import ROW_NUMBER, FileRejected, read_text_frame
from assets.ingest.staging import FILE_QUALITY_SCHEMA, write_parquet_atomic
from assets.ingest.validate import KEY_SEP, QUARANTINE_SCHEMA, ReferenceKeys, raw_values_by_row, validate_file


class ReferenceMissing(Exception):
    """A required reference table is absent or unusable: nothing can be checked.

    ``quality``: the reference files' file_quality rows as far as they were
    read (the rejected file with its reason among them), or None."""

    def __init__(self, message: str, quality: pl.DataFrame | None = None):
        super().__init__(message)
        self.quality = quality


@dataclass
class ReferenceData:
    tables: dict[str, pl.DataFrame]
    quality: pl.DataFrame
    quarantine: pl.DataFrame
    version: str = ""
    keys: ReferenceKeys = field(default_factory=ReferenceKeys.empty)


def reference_files(ref_dir: Path) -> dict[str, list[InboxFile]]:
    found: dict[str, list[InboxFile]] = {}
    if not ref_dir.is_dir():
        return found
    for path in sorted(ref_dir.iterdir()):
        if path.is_file() and not is_hidden(path):
            stat = path.stat()
            found.setdefault(path.stem.lower(), []).append(
                InboxFile("reference", path, None, stat.st_size, stat.st_mtime_ns)
            )
    return found


def load_reference(ref_dir: Path) -> ReferenceData:
    files = reference_files(ref_dir)
    quality: list[tuple] = []
    rejected: dict[str, str] = {}  # table -> "file: why", for a table whose delivery was rejected
    quarantine: list[pl.DataFrame] = []
    tables: dict[str, pl.DataFrame] = {}
    raw_rows: list[pl.DataFrame] = []  # each file's rows as read, for the quarantine
    for stem, candidates in files.items():
        if stem not in c.REFERENCE_SOURCES:
            for f in candidates:
                quality.append(_row(f, "rejected", 0, 0, 0, 0, f"未知的基础数据文件名 {f.path.name}（应为 halls/departments/windows/staff/matters）"))
            continue
        ordered = newest_first(candidates)
        for older in ordered[1:]:
            quality.append(_row(older, "rejected", 0, 0, 0, 0, f"被更新的文件 {ordered[0].path.name} 取代 (superseded)"))
        f = ordered[0]
        source = c.REFERENCE_SOURCES[stem]
        try:
            # Reference tables are linked to each other by _check_links below,
            # not by validate_file (they have no hall or window to look up yet).
            text = read_text_frame(f.path, source)
            result = validate_file(source, text, ReferenceKeys.empty(), f.path.name, None)
        except FileRejected as exc:
            exc = header_hints.explained(exc, f.path, source)
            quality.append(_row(f, "rejected", 0, 0, 0, 0, str(exc)))
            rejected[stem] = f"的文件 {f.path.name} 被拒收 (rejected): {exc}"
            continue
        table = result.loaded.drop("partition_date")
        if "hall_id" in table.columns:
            table = table.with_columns(pl.col("hall_id").fill_null(c.DEFAULT_HALL))
        table, dup_quarantine = _unique_keys(source, table, f.path.name)
        tables[stem] = table
        bad = pl.concat([result.quarantined, dup_quarantine])
        quarantine.append(bad)
        raw_rows.append(raw_values_by_row(text).select(pl.lit(f.path.name).alias("file"), pl.all()))
        quality.append(_row(f, "loaded", result.rows_read, table.height, bad.height, result.duplicates_removed, ""))

    missing = [name for name in c.REQUIRED_REFERENCE if name not in tables]
    if missing:
        raise ReferenceMissing(
            missing_reference_message(ref_dir, missing, rejected, files),
            pl.DataFrame(quality, schema=FILE_QUALITY_SCHEMA, orient="row"),
        )
    tables, link_quarantine = _check_links(tables)
    quarantine.append(link_quarantine)
    quality_frame = pl.DataFrame(quality, schema=FILE_QUALITY_SCHEMA, orient="row")
    quality_frame = _subtract_link_failures(quality_frame, link_quarantine)
    data = ReferenceData(tables, quality_frame, _with_raw_values(pl.concat(quarantine), raw_rows))
    data.version = reference_version(tables)
    data.keys = reference_keys(tables)
    return data


def missing_reference_message(
    ref_dir: Path, missing: list[str], rejected: dict[str, str], files: dict[str, list[InboxFile]]
) -> str:
    """One line: each required table that could not be loaded, with its
    file's name and why it was rejected (the missing columns, say), or that
    no file was found, and where it goes."""
    parts = []
    for name in missing:
        label = f"{name}（{c.REFERENCE_SOURCES[name].zh}）"
        parts.append(f"{label}{rejected[name]}" if name in rejected else f"{label}没有文件 (no file)")
    message = f"基础数据无法使用 reference data unusable: {'；'.join(parts)}"
    if any(name not in rejected for name in missing):
        unknown = sorted(f.path.name for stem, fs in files.items() if stem not in c.REFERENCE_SOURCES for f in fs)
        message += f"。请把文件放入 {ref_dir}，文件名为表名（如 staff.csv）(put the files in {ref_dir})"
        if unknown:
            message += f"；未识别的文件 unrecognised files: {'、'.join(unknown)}"
    else:
        message += "。请改正文件后重新运行 (fix the file and run again)"
    return message


def record_reference_failure(warehouse, quality: pl.DataFrame | None) -> None:
    """After a run stopped on its reference data: the reference files' rows of
    file_quality (the rejected file and why) in place of the last run's, so
    that ``export quality`` and the summary show them (a first run has no
    other rows). ``warehouse``: pipelines.resources.Warehouse."""
    if quality is None:
        return
    with warehouse.connect() as con:
        exists = "file_quality" in table_names(con)
        con.register("__reference_quality", quality.cast(FILE_QUALITY_SCHEMA))
        with transaction(con):
            if exists:
                con.execute(queries.FILE_QUALITY_WITH_SOURCE_ROWS.format(source="reference", rows="__reference_quality"))
            else:
                con.execute("CREATE TABLE file_quality AS SELECT * FROM __reference_quality ORDER BY file")


def _row(f: InboxFile, status, read, loaded, quarantined, dups, message) -> tuple:
    return ("reference", f.path.name, None, status, read, loaded, quarantined, dups, message, f.fingerprint, "")


def _with_raw_values(quarantine: pl.DataFrame, raw_rows: list[pl.DataFrame]) -> pl.DataFrame:
    """Every quarantined reference row under the source ``reference`` (the
    source its file's quality row has), with the cells of the file's row as
    read: a repeated id or a broken link is found after parsing, on rows
    that no longer hold them."""
    quarantine = quarantine.cast(QUARANTINE_SCHEMA).with_columns(source=pl.lit("reference"))
    if not raw_rows or quarantine.height == 0:
        return quarantine
    raw = pl.concat(raw_rows).rename({ROW_NUMBER: "row", "raw_values": "_raw"})
    return (
        quarantine.join(raw, on=["file", "row"], how="left", maintain_order="left")
        .with_columns(raw_values=pl.coalesce("raw_values", "_raw"))
        .drop("_raw")
        .cast(QUARANTINE_SCHEMA)
    )


def _unique_keys(source: c.Source, table: pl.DataFrame, file_name: str):
    """The first row of a repeated id wins; later ones are quarantined."""
    key = ["hall_id", source.key] if source.name == "windows" else [source.key]
    first = table.select(pl.struct(key).is_first_distinct()).to_series()
    dups = table.filter(~first).select(
        pl.lit("reference").alias("source"),
        pl.lit(file_name).alias("file"),
        pl.lit(None, pl.Date).alias("partition_date"),
        pl.col("source_row").alias("row"),
        pl.lit("duplicate_key").alias("reason"),
        pl.concat_str(
            pl.lit(f"{source.key}（{source.column(source.key).zh}）编号重复，以先出现的一行为准：'"), pl.col(source.key), pl.lit("'")
        ).alias("detail"),
        pl.lit(None, pl.String).alias("raw_values"),
    )
    return table.filter(first), dups.cast(QUARANTINE_SCHEMA)


def _check_links(tables: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Drop rows that point at a department or window that does not exist."""
    depts = tables["departments"]["dept_id"]
    halls = tables.get("halls")
    known_halls = set(halls["hall_id"]) if halls is not None else None
    bad_frames = []

    def split(name: str, ok: pl.Expr, reason: str) -> None:
        frame = tables[name]
        bad = frame.filter(~ok)
        if bad.height:
            bad_frames.append(
                bad.select(
                    pl.lit("reference").alias("source"),
                    pl.col("source_file").alias("file"),
                    pl.lit(None, pl.Date).alias("partition_date"),
                    pl.col("source_row").alias("row"),
                    pl.lit("unknown_code").alias("reason"),
                    pl.lit(reason).alias("detail"),
                    pl.lit(None, pl.String).alias("raw_values"),  # the file's cells: _with_raw_values
                )
            )
        tables[name] = frame.filter(ok)

    window_ok = pl.col("dept_id").is_in(depts.implode())
    if known_halls is not None:
        window_ok = window_ok & pl.col("hall_id").is_in(list(known_halls))
    split("windows", window_ok, "窗口的部门编码或大厅编号不存在")
    split("matters", pl.col("dept_id").is_in(depts.implode()), "事项的部门编码不存在")
    window_keys = tables["windows"].select(pl.concat_str(["hall_id", pl.lit(KEY_SEP), "window_id"])).to_series()
    staff_ok = pl.col("dept_id").is_in(depts.implode()) & pl.concat_str(
        ["hall_id", pl.lit(KEY_SEP), "window_id"]
    ).is_in(window_keys.implode())
    split("staff", staff_ok, "人员的部门编码或常驻窗口不存在")
    quarantine = pl.concat(bad_frames).cast(QUARANTINE_SCHEMA) if bad_frames else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    lineage_free = {name: frame.drop("source_file", "source_row") for name, frame in tables.items()}
    return lineage_free, quarantine


def _subtract_link_failures(quality: pl.DataFrame, link_quarantine: pl.DataFrame) -> pl.DataFrame:
    """Rows dropped for broken links move from loaded to quarantined."""
    if link_quarantine.height == 0:
        return quality
    moved_by_file = dict(link_quarantine.group_by("file").len().iter_rows())
    moved = pl.col("file").replace_strict(moved_by_file, default=0, return_dtype=pl.Int64)
    loaded = pl.col("status") == "loaded"
    moved = pl.when(loaded).then(moved).otherwise(0)
    return quality.with_columns(
        (pl.col("rows_loaded") - moved).alias("rows_loaded"),
        (pl.col("rows_quarantined") + moved).alias("rows_quarantined"),
    )


def reference_version(tables: dict[str, pl.DataFrame]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        digest.update(name.encode())
        digest.update(frame.write_csv().encode())
    return digest.hexdigest()[:16]


def reference_keys(tables: dict[str, pl.DataFrame]) -> ReferenceKeys:
    windows = tables["windows"]
    halls = set(windows["hall_id"]) | {c.DEFAULT_HALL}
    if "halls" in tables:
        halls |= set(tables["halls"]["hall_id"])
    staff = tables["staff"]
    return ReferenceKeys(
        halls=frozenset(halls),
        windows=frozenset(f"{h}{KEY_SEP}{w}" for h, w in windows.select("hall_id", "window_id").iter_rows()),
        staff_hall=dict(staff.select("staff_id", "hall_id").iter_rows()),
        matters=frozenset(tables["matters"]["matter_code"]),
    )


def write_reference_snapshot(data: ReferenceData, folder: Path) -> None:
    """Parquet copies that partition steps read (they never open DuckDB)."""
    for name, frame in data.tables.items():
        write_parquet_atomic(frame, folder / f"{name}.parquet")
    write_text_atomic(folder / "version.txt", data.version)


def read_reference_snapshot(folder: Path) -> tuple[dict[str, pl.DataFrame], str]:
    version_file = folder / "version.txt"
    if not version_file.exists():
        raise ReferenceMissing(f"基础数据尚未加载: {folder}")
    tables = {p.stem: pl.read_parquet(p) for p in folder.glob("*.parquet")}
    return tables, version_file.read_text().strip()
