"""What a night publishes: the dashboards site (看板) and the departments'
rectification lists (整改清单), two assets materialized by one step.

One step so that they are written side by side: the site in a child process
when the ``site`` resource is one (dashboards/site_process.py), the lists
in this one. Either can still be materialized alone (the step can subset).
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg

from assets.ingest.quality import ingest_quality
from assets.rectification.assets import rectification_ledger, write_rectification_lists
from assets.scores.assets import scores
from assets.staffing.assets import staffing_advice_table
from dashboards.site_process import SiteInProcess
from pipelines.resources import WindowWatchHome, Warehouse

if TYPE_CHECKING:  # the site's modules are the site child's to import (dashboards/site_process.py)
    from dashboards.site import SiteReport

DASHBOARDS = dg.AssetKey("dashboards")
RECTIFICATION_LISTS = dg.AssetKey("rectification_lists")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            DASHBOARDS,
            group_name="publish",
            deps=[*scores.keys, rectification_ledger.key, staffing_advice_table.key, ingest_quality.key],
            kinds={"plotly", "html"},
            description="看板: a static site under HOME/dashboards (plotly.js beside the pages, no CDN).",
        ),
        dg.AssetSpec(
            RECTIFICATION_LISTS,
            group_name="rectification",
            deps=[rectification_ledger.key],
            kinds={"csv", "excel"},
            description="整改清单: the ledger CSV, each department's daily list and its monthly archives, "
            "in HOME/exports/rectification.",
        ),
    ],
    can_subset=True,
)
def publications(
    context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse,
    site: dg.ResourceParam[SiteInProcess],
) -> Iterator[dg.MaterializeResult]:
    selected = context.selected_asset_keys
    if DASHBOARDS not in selected:
        yield dg.MaterializeResult(asset_key=RECTIFICATION_LISTS, metadata=write_rectification_lists(home, warehouse))
        return
    gx_index = home.gx_docs_dir / "index.html"
    with site.building(home.warehouse_path, home.dashboards_dir, home.as_of_date, gx_index if gx_index.exists() else None) as report:
        if RECTIFICATION_LISTS in selected:
            yield dg.MaterializeResult(asset_key=RECTIFICATION_LISTS, metadata=write_rectification_lists(home, warehouse))
        yield _dashboards_result(home, report())


def _dashboards_result(home: WindowWatchHome, report: "SiteReport") -> dg.MaterializeResult:
    if report.errors:
        raise dg.Failure(description="看板页面生成失败 pages failed: " + "; ".join(map(str, report.errors))[:1000])
    return dg.MaterializeResult(
        asset_key=DASHBOARDS,
        metadata={
            "index": dg.MetadataValue.path(str(home.dashboards_dir / "index.html")),
            "pages": len(report.pages),
            "seconds": round(report.seconds, 2),
            "largest_page_bytes": max((p.bytes for p in report.pages), default=0),
        },
    )


PUBLICATION_ASSETS = [publications]
