"""Asset checks: the GX suite of each staged source, and the file accounting.

The GX checks are blocking: a staged source whose ids, codes or required
times fail its suite stops the warehouse and everything below it, because
scores built on it could not be trusted.
"""

import dagster as dg
import polars as pl

from assets.ingest.assets import STAGED_ASSETS
from assets.ingest.contract import DAILY_SOURCES
from assets.ingest.quality import ingest_quality
from assets.ingest.staging import StagedStore
from pipelines.resources import WindowWatchHome, Warehouse
from assets.db import scalar

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_partition_range(context: dg.AssetCheckExecutionContext) -> tuple[str, str] | None:
    tags = context.run.tags
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END]
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    return None


def staged_rows_of_run(context, home: WindowWatchHome, source: str) -> pl.DataFrame:
    """The staged rows of the days this run covered."""
    bounds = run_partition_range(context)
    store = StagedStore(home.staged_dir)
    files = [
        store.data_path(source, day)
        for day in store.staged_days(source)
        if bounds is None or bounds[0] <= day.isoformat() <= bounds[1]
    ]
    files = [p for p in files if p.exists()]
    if not files:
        from assets.ingest.staging import empty_staged

        return empty_staged(source)
    return pl.concat([pl.read_parquet(p) for p in files], how="vertical_relaxed")


def gx_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=STAGED_ASSETS[source],
        name=f"{source}_gx_suite",
        blocking=True,
        description=f"Great Expectations suite of {DAILY_SOURCES[source].zh} ({source}) over the days of the run",
    )
    def _check(context: dg.AssetCheckExecutionContext, home: WindowWatchHome) -> dg.AssetCheckResult:
        from checks.gx_suites import validate_frame

        frame = staged_rows_of_run(context, home, source)
        outcome = validate_frame(source, frame, home.gx_docs_dir)
        metadata = {
            "rows": outcome.rows,
            "expectations": outcome.evaluated,
            "blocking_failures": "\n".join(outcome.blocking_failures) or "none",
            "warnings": "\n".join(outcome.warnings) or "none",
        }
        if outcome.docs_index is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(outcome.docs_index))
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description="; ".join(outcome.blocking_failures)[:1000] or None,
        )

    return _check


GX_CHECKS = [gx_check(source) for source in DAILY_SOURCES]


@dg.asset_check(
    asset=ingest_quality,
    blocking=True,
    description="For every file: rows read = loaded + quarantined + duplicates removed",
)
def file_accounting_balances(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        unbalanced = scalar(
            con,
            "SELECT count(*) FROM file_quality"
            " WHERE rows_read <> rows_loaded + rows_quarantined + duplicates_removed",
        )
    return dg.AssetCheckResult(passed=unbalanced == 0, metadata={"unbalanced_files": unbalanced})


ASSET_CHECKS = [*GX_CHECKS, file_accounting_balances]
