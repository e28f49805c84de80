"""The accounting of every inbox file and every quarantined row.

For each file: rows read = rows loaded + rows quarantined + duplicates removed.
Callbacks whose case turns out unknown are found after staging (the case may
arrive in a later file), so they move from loaded to quarantined here.
"""


import difflib
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.ingest import contract as c
from assets.ingest.assets import PARTITION_START, STAGED_ASSETS, callbacks, reference_data, write_frames
from assets.ingest.inbox import all_daily_files, delivery_name_for, is_hidden
from assets.ingest.staging import FILE_QUALITY_SCHEMA, StagedStore
from assets.ingest.validate import QUARANTINE_SCHEMA
from assets.rectification.masking import mask_text_expr
from assets.rectification.raw_values_masking import mask_raw_values_expr
from assets.rectification.updates_quality import stored_reply_accounting
from pipelines.resources import WindowWatchHome, Warehouse

# rectification_updates/ is accounted for by the ledger step, which reads the
# reply files (assets/rectification/updates_quality.py); its rows are taken
# into file_quality and quarantine below.
KNOWN_FOLDERS = {"reference", "rectification_updates", *c.DAILY_SOURCES}


def unusable_inbox_files(inbox: Path) -> pl.DataFrame:
    """Files that belong to no partition: no date in the name, a date before
    the calendar starts, or a folder the contract does not know."""
    rows = []
    start = date.fromisoformat(PARTITION_START)
    for f in all_daily_files(inbox):
        if f.partition is None:
            meant = delivery_name_for(f.path.name)
            message = (
                "文件名中没有有效日期（应为 YYYY-MM-DD）(no valid date in file name)"
                if meant is None
                else f"文件名中没有有效日期（应为 YYYY-MM-DD，如是当日数据请改名为 {meant}）(no valid date in file name: {meant}?)"
            )
        elif f.partition < start:
            message = f"日期早于 {PARTITION_START}，不予处理 (date before {PARTITION_START})"
        else:
            continue
        rows.append((f.source, f.path.name, None, "rejected", 0, 0, 0, 0, message, f.fingerprint, ""))
    if inbox.is_dir():
        for folder in sorted(inbox.iterdir()):
            if is_hidden(folder):
                continue
            if folder.is_file():
                rows.append(("inbox", folder.name, None, "rejected", 0, 0, 0, 0, AT_THE_TOP, "", ""))
            elif folder.name not in KNOWN_FOLDERS:
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    rows.append(
                        (folder.name, path.name, None, "rejected", 0, 0, 0, 0, unknown_folder_message(folder.name), "", "")
                    )
            elif folder.name in c.DAILY_SOURCES:
                for sub in sorted(x for x in folder.iterdir() if x.is_dir() and not is_hidden(x)):
                    for path in sorted(p for p in sub.rglob("*") if p.is_file() and not is_hidden(p)):
                        name = path.relative_to(folder).as_posix()
                        rows.append((folder.name, name, None, "rejected", 0, 0, 0, 0, IN_A_SUBFOLDER, "", ""))
    return pl.DataFrame(rows, schema=FILE_QUALITY_SCHEMA, orient="row")


# a folder's name as people write it -> the contract's folder: another
# letter case, or the source's Chinese name (办件 -> cases)
_FOLDER_SPELLINGS = {
    **{name.lower(): name for name in KNOWN_FOLDERS},
    **{s.zh: s.name for s in c.DAILY_SOURCES.values()},
    "参考数据": "reference", "基础数据": "reference", "整改反馈": "rectification_updates",
}
# a reference table put in a folder of its own (windows/, 窗口/) -> the table
_REFERENCE_SPELLINGS = {
    **{s.name: s for s in c.REFERENCE_SOURCES.values()},
    **{s.zh: s for s in c.REFERENCE_SOURCES.values()},
}


def unknown_folder_message(name: str) -> str:
    """Why a folder's files are not read, naming where they most likely
    belong (Cases -> cases/, 办件 -> cases/, ratting -> ratings/, 窗口 ->
    reference/windows.xlsx)."""
    key = name.strip().lower()
    table = _REFERENCE_SPELLINGS.get(key)
    if table is not None:
        return (
            f"未知的文件夹 {name}，{table.zh}表应放在 reference/ 文件夹，文件名 {table.name}.xlsx（或 .csv / .parquet）"
            f" (unknown folder: reference/{table.name}.xlsx?)"
        )
    meant = _FOLDER_SPELLINGS.get(key) or next(
        iter(difflib.get_close_matches(key, sorted(KNOWN_FOLDERS), n=1, cutoff=0.8)), None
    )
    if meant is None:
        return f"未知的文件夹 {name} (unknown folder)"
    where = f"{c.DAILY_SOURCES[meant].zh}数据应放在 {meant}/ 文件夹" if meant in c.DAILY_SOURCES else f"应为 {meant}/ 文件夹"
    return f"未知的文件夹 {name}，{where} (unknown folder: {meant}/?)"


# files the staging never reads, listed so that none is left out silently
AT_THE_TOP = "收件箱根目录下的文件不读取，请放入所属数据的文件夹 (files at the top of the inbox are not read: put them in their source's folder)"
IN_A_SUBFOLDER = "子文件夹中的文件不读取，请直接放在数据文件夹下 (files in a subfolder are not read: put them in the source's folder itself)"


def read_many(files: list[Path], schema: dict) -> pl.DataFrame:
    """Staged files all written with ``schema``, as one frame in file order.

    One scan over the list reads the files in parallel: a city-year has
    thousands of small manifests, and reading them one by one took seconds.
    """
    if not files:
        return pl.DataFrame(schema=schema)
    return pl.scan_parquet(files, schema=schema).collect()


def collect_quality(
    store: StagedStore,
    as_of: date,
    reference_quality: pl.DataFrame,
    reference_quarantine: pl.DataFrame,
    callbacks_unmatched: pl.DataFrame,
    unusable: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    manifests = read_many([p for s in c.DAILY_SOURCES for p in store.manifest_files(s, as_of)], FILE_QUALITY_SCHEMA)
    quarantine = read_many([p for s in c.DAILY_SOURCES for p in store.quarantine_files(s, as_of)], QUARANTINE_SCHEMA)
    unmatched = callbacks_unmatched.cast(QUARANTINE_SCHEMA)
    moved = unmatched.group_by("file", "partition_date").agg(pl.len().cast(pl.Int64).alias("moved"))
    manifests = (
        manifests.join(moved, on=["file", "partition_date"], how="left")
        .with_columns(moved=pl.when(pl.col("source") == "callbacks").then(pl.col("moved").fill_null(0)).otherwise(0))
        .with_columns(
            rows_loaded=pl.col("rows_loaded") - pl.col("moved"),
            rows_quarantined=pl.col("rows_quarantined") + pl.col("moved"),
        )
        .drop("moved")
    )
    quality = pl.concat([reference_quality.cast(FILE_QUALITY_SCHEMA), manifests, unusable]).sort(
        "source", "partition_date", "file", nulls_last=True
    )
    # Quarantined rows are shown and exported as they came, so applicants'
    # phone and ID numbers inside them are masked here, once.
    quarantine_all = (
        pl.concat([reference_quarantine.cast(QUARANTINE_SCHEMA), quarantine, unmatched])
        .sort("source", "partition_date", "file", "row", nulls_last=True)
        .with_columns(mask_raw_values_expr(), mask_text_expr("detail"))
    )
    return quality, quarantine_all


@dg.asset(
    group_name="warehouse",
    deps=[reference_data, *STAGED_ASSETS.values(), callbacks],
    kinds={"duckdb"},
)
def ingest_quality(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """file_quality (one row per inbox file) and quarantine (one row per bad row)."""
    store = StagedStore(home.staged_dir)
    with warehouse.connect() as con:
        ref_quality = con.sql("SELECT * FROM reference_quality").pl()
        ref_quarantine = con.sql("SELECT * FROM reference_quarantine").pl()
        unmatched = con.sql("SELECT * FROM callbacks_unmatched").pl()
        reply_quality, reply_quarantine = stored_reply_accounting(con)
    quality, quarantine = collect_quality(
        store, home.as_of_date, ref_quality, ref_quarantine, unmatched, unusable_inbox_files(home.inbox_dir)
    )
    # the reply files' rows, as the ledger step last wrote them (already masked)
    quality = pl.concat([quality, reply_quality]).sort("source", "partition_date", "file", nulls_last=True)
    quarantine = pl.concat([quarantine, reply_quarantine])
    write_frames(warehouse, {"file_quality": quality, "quarantine": quarantine})
    totals = quality.select(pl.col("rows_read", "rows_loaded", "rows_quarantined", "duplicates_removed").sum()).row(0, named=True)
    return dg.MaterializeResult(
        metadata={
            "files": quality.height,
            "files_rejected": int((quality["status"] == "rejected").sum()),
            **{k: int(v) for k, v in totals.items()},
        }
    )
