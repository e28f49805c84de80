"""What a table was built from: the staged files of a source, one row per day
(partition_date, file name, modification time, size), and which days differ
between two such records. A table that records the files it read can tell on
the next night which partitions it must read again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl


def file_states(files: dict[date, Path]) -> pl.DataFrame:
    """partition_date, file (its name: a copied home still matches), mtime_ns,
    size of each staged file (a restaged day is a new file: written aside and
    renamed over the old one)."""
    rows = [(day, path.name, (st := path.stat()).st_mtime_ns, st.st_size) for day, path in sorted(files.items())]
    return pl.DataFrame(
        rows,
        schema={"partition_date": pl.Date, "file": pl.String, "mtime_ns": pl.Int64, "size": pl.Int64},
        orient="row",
    )


def changed_days(previous: pl.DataFrame, state: pl.DataFrame) -> list[date]:
    """Days whose file is new, gone or not the one recorded."""
    both = previous.join(state, on="partition_date", how="full", coalesce=True, suffix="_now")
    differs = (
        (pl.col("file") != pl.col("file_now"))
        | (pl.col("mtime_ns") != pl.col("mtime_ns_now"))
        | (pl.col("size") != pl.col("size_now"))
    ).fill_null(True)
    return both.filter(differs).get_column("partition_date").sort().to_list()
