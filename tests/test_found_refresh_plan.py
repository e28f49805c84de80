"""When a finder refreshes from the scores' D0 or M0 and when it re-finds its rule
whole (assets.rectification.found_refresh), on a real DuckDB file holding
the state tables as the score step and the finders write them."""

from datetime import date

import duckdb
import pytest

from assets.rectification.found_refresh import FoundRefresh, plan_found_refresh

AS_OF = date(2026, 10, 30)
M0 = date(2026, 10, 1)


@pytest.fixture()
def con(tmp_path):
    """Scores at generation 7, incremental from 10-01 as of 10-30 with config
    c1; bad_rating found after generation 6, one_notice after 7."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("""CREATE TABLE scores_state AS SELECT DATE '2026-10-30' AS as_of, 'c1' AS config_hash,
                   'r1' AS reference_hash, 'incremental' AS refresh, DATE '2026-10-01' AS refresh_from,
                   7::BIGINT AS generation""")
    con.execute("CREATE TABLE scores_refreshed_cases (case_id VARCHAR)")
    con.execute("CREATE TABLE found_items_state (rule VARCHAR PRIMARY KEY, scores_generation BIGINT)")
    con.execute("INSERT INTO found_items_state VALUES ('bad_rating', 6), ('one_notice', 7), ('low_score', 6)")
    for rule in ("bad_rating", "one_notice", "low_score", "behaviour"):
        con.execute(f"CREATE TABLE found_items_{rule} (item_id VARCHAR)")
    yield con
    con.close()


def plan(con, rule: str, as_of: date = AS_OF, cfg: str = "c1") -> FoundRefresh:
    return plan_found_refresh(con, rule, as_of=as_of, cfg_hash=cfg, table=f"found_items_{rule}")


def test_one_score_run_behind_refreshes_from_m0(con):
    # a state without days_from (written before D0 was recorded) names M0 only
    assert plan(con, "bad_rating") == FoundRefresh(M0, 7)


def test_day_rules_refresh_from_d0_and_monthly_ones_from_m0(con):
    """With D0 recorded (10-27), a rule dated by its fact refreshes from it;
    repeated lateness, counted per calendar month, from M0 (10-01)."""
    con.execute("ALTER TABLE scores_state ADD COLUMN days_from DATE")
    con.execute("UPDATE scores_state SET days_from = DATE '2026-10-27'")
    con.execute("CREATE TABLE found_items_repeated_lateness (item_id VARCHAR)")
    con.execute("INSERT INTO found_items_state VALUES ('repeated_lateness', 6)")
    assert plan(con, "bad_rating") == FoundRefresh(date(2026, 10, 27), 7)
    assert plan(con, "repeated_lateness") == FoundRefresh(M0, 7)


def test_anything_else_re_finds_the_rule_whole(con):
    assert plan(con, "bad_rating", cfg="c2") == FoundRefresh(None, 7)  # another method config
    assert plan(con, "bad_rating", as_of=date(2026, 10, 31)) == FoundRefresh(None, 7)  # scores not run for this date
    assert plan(con, "one_notice") == FoundRefresh(None, 7)  # already found after this score run
    assert plan(con, "behaviour") == FoundRefresh(None, 7)  # no state row: never found with state
    assert plan(con, "low_score") == FoundRefresh(None, 7)  # reads the small monthly table whole, always
    con.execute("UPDATE scores_state SET refresh = 'full', refresh_from = NULL")
    assert plan(con, "bad_rating") == FoundRefresh(None, 7)  # the scores themselves were recomputed whole


def test_scores_written_before_generations_were_kept(con):
    con.execute("CREATE OR REPLACE TABLE scores_state AS SELECT * EXCLUDE (generation) FROM scores_state")
    assert plan(con, "bad_rating") == FoundRefresh(None, None)
