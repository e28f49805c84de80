"""Every asset and asset check of the graph, gathered from the modules that
each hold one kind of thing."""

from assets.ingest.assets import INGEST_ASSETS
from assets.ingest.quality import ingest_quality
from assets.publications import PUBLICATION_ASSETS
from assets.rectification.assets import RECTIFICATION_ASSETS
from assets.scores.assets import SCORE_ASSETS
from assets.staffing.assets import STAFFING_ASSETS
from checks.asset_checks import ASSET_CHECKS


def all_assets() -> list:
    return [*INGEST_ASSETS, ingest_quality, *SCORE_ASSETS, *RECTIFICATION_ASSETS, *STAFFING_ASSETS, *PUBLICATION_ASSETS]


def all_asset_checks() -> list:
    return list(ASSET_CHECKS)
