"""Jobs over the one asset graph."""

import dagster as dg

# Everything: stage the partitions of a day range, then rebuild the warehouse,
# scores, ledger, dashboards and exports on top. The CLI, the schedule, the
# sensor and the UI all launch this job.
nightly_job = dg.define_asset_job(
    "windowwatch_nightly",
    selection=dg.AssetSelection.all(),
    description="每日夜间作业：导入数据、计算评分、整改台账、看板与导出 (ingest, score, rectify, publish)",
)
