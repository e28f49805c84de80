"""The dashboards asset: rebuilds the static site after every run."""

import dagster as dg

from assets.ingest.quality import ingest_quality
from assets.rectification.assets import rectification_ledger
from assets.scores.assets import scores
from assets.staffing.assets import staffing_advice_table
from dashboards.site import build_site
from pipelines.resources import WindowWatchHome


@dg.asset(
    group_name="publish",
    deps=[scores, rectification_ledger, staffing_advice_table, ingest_quality],
    kinds={"plotly", "html"},
)
def dashboards(context: dg.AssetExecutionContext, home: WindowWatchHome) -> dg.MaterializeResult:
    """看板: a static site under HOME/dashboards (plotly.js beside the pages, no CDN)."""
    gx_index = home.gx_docs_dir / "index.html"
    report = build_site(
        home.warehouse_path,
        home.dashboards_dir,
        home.as_of_date,
        gx_index if gx_index.exists() else None,
    )
    if report.errors:
        raise dg.Failure(description="看板页面生成失败 pages failed: " + "; ".join(map(str, report.errors))[:1000])
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(home.dashboards_dir / "index.html")),
            "pages": len(report.pages),
            "seconds": round(report.seconds, 2),
            "largest_page_bytes": max((p.bytes for p in report.pages), default=0),
        }
    )


DASHBOARD_ASSETS = [dashboards]
