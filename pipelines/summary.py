"""The short report at the end of a run."""

from __future__ import annotations

import sys
from pathlib import Path

from assets.db import row, table_names
from pipelines.resources import Warehouse


def print_summary(home: Path, outcome) -> None:
    out = sys.stdout
    warehouse = Warehouse(path=str(home / "warehouse.duckdb"))
    if not outcome.success:
        print("运行未完成 run did not finish:", file=sys.stderr)
        for line in outcome.failures:
            print(f"  - {line}", file=sys.stderr)
    if not Path(warehouse.path).exists():
        return
    with warehouse.connect(read_only=True) as con:
        tables = table_names(con)
        print(f"日期范围 partitions: {outcome.partition_start} … {outcome.partition_end} ({outcome.days_changed} 天有新文件)", file=out)
        if "file_quality" in tables:
            files, rejected, read, loaded, quarantined, dups = row(
                con,
                "SELECT count(*), count(*) FILTER (status = 'rejected'), coalesce(sum(rows_read), 0),"
                " coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0),"
                " coalesce(sum(duplicates_removed), 0) FROM file_quality",
            )
            print(f"文件 files: {files}（拒收 rejected {rejected}）", file=out)
            print(
                f"行 rows: 读取 read {read:,} · 入库 loaded {loaded:,} · 隔离 quarantined {quarantined:,} · 重复 duplicates {dups:,}",
                file=out,
            )
    print(f"数据仓库 warehouse: {warehouse.path}", file=out)
    print(f"导出质量报告: windowwatch export quality --home {home} --out quality.csv", file=out)
