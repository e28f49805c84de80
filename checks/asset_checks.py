"""Asset checks: the GX suite of each staged source (one step for all seven),
and the file accounting.

The GX checks are blocking: a staged source whose ids, codes or required
times fail its suite stops the warehouse and everything below it, because
scores built on it could not be trusted. They read the run's staged files
lazily: every rule is counted over all rows in polars, and GX itself sees at
most about ``SAMPLE_ROWS`` of them (see ``checks.gx_suites``); the metadata
says how many.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from assets.ingest.assets import STAGED_ASSETS
from assets.ingest.contract import DAILY_SOURCES
from assets.ingest.quality import ingest_quality
from assets.ingest.run_files import staged_files_of_run
from checks.gx_process import InProcessGx
from checks.gx_suites import SAMPLE_ROWS
from pipelines.resources import WindowWatchHome, Warehouse
from assets.db import scalar

def gx_check_key(source: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(STAGED_ASSETS[source].key, f"{source}_gx_suite")


def _gx_result(source: str, outcome, docs_index: Path | None) -> dg.AssetCheckResult:
    metadata = {
        "rows": outcome.rows,
        "rows_validated_by_gx": outcome.gx_rows,
        "gx_sample": (
            f"{outcome.gx_rows:,} of {outcome.rows:,} rows, spread over every day;"
            " every rule also counted over all rows"
            if outcome.sampled
            else "all rows"
        ),
        "expectations": outcome.evaluated,
        "blocking_failures": "\n".join(outcome.blocking_failures) or "none",
        "warnings": "\n".join(outcome.warnings) or "none",
        "seconds": round(outcome.seconds, 2),
    }
    if docs_index is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs_index))
    key = gx_check_key(source)
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description="; ".join(outcome.blocking_failures)[:1000] or None,
    )


# One step for the seven suites, not one each: GX's context is made once per
# process anyway, and the Data Docs site is built once after the last
# validation instead of after each (each build renders the index again). The
# checks stay one per staged source in the UI and the records; a blocking
# failure of any fails the step, which stops everything below the staged
# sources (the scores need all of them anyway). A run of some sources runs
# only their checks (can_subset).
@dg.multi_asset_check(
    name="staged_sources_gx_suites",
    specs=[
        dg.AssetCheckSpec(
            f"{source}_gx_suite",
            asset=STAGED_ASSETS[source],
            blocking=True,
            description=(
                f"Great Expectations suite of {DAILY_SOURCES[source].zh} ({source}) over the days of the run:"
                f" every rule counted over all rows, GX on all rows up to {SAMPLE_ROWS:,}, else on a sample"
            ),
        )
        for source in DAILY_SOURCES
    ],
    can_subset=True,
)
def staged_sources_gx_suites(
    context: dg.AssetCheckExecutionContext, home: WindowWatchHome, gx: dg.ResourceParam[InProcessGx]
) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    requests = [
        (source, staged_files_of_run(context, home, source)) for source in DAILY_SOURCES if gx_check_key(source) in selected
    ]
    outcomes, docs_index = gx.validate_sources(requests, home.gx_docs_dir)
    for source, outcome in outcomes.items():
        yield _gx_result(source, outcome, docs_index)


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


ASSET_CHECKS = [staged_sources_gx_suites, file_accounting_balances]
