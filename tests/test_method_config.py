"""MethodConfig: the shipped default equals the spec; partial override; bad
keys and values refused with the dotted key and the reason; stable hash."""

from datetime import date, time

import pytest
import yaml

from assets.method_config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    config_from_dict,
    config_hash,
    load_config,
)


def test_default_equals_the_spec():
    c = load_config()
    w = c.scoring.weights
    assert (w.timeliness.on_time_rate, w.timeliness.wait_rate) == (0.7, 0.3)
    assert (w.quality_base.one_notice_rate, w.quality_base.one_trip_rate) == (0.5, 0.5)
    assert (w.satisfaction.rating_part, w.satisfaction.callback_part) == (0.7, 0.3)
    assert (w.composite.timeliness, w.composite.quality, w.composite.satisfaction) == (0.35, 0.35, 0.30)
    assert c.scoring.wait_target_minutes == 20
    assert c.scoring.shrinkage_m == 10
    assert c.scoring.ranking.min_volume == 30 and c.scoring.ranking.list_size == 3
    assert (c.scoring.good_min_score, c.scoring.bad_max_score) == (3, 2)
    assert c.scoring.rating_points_per_level == 25
    assert (c.attendance.shift_start, c.attendance.shift_end, c.attendance.grace_minutes) == (
        time(9, 0),
        time(17, 0),
        5,
    )
    d = c.deductions
    assert (d.absent, d.missing_punch, d.late, d.early) == (5, 0.5, 1, 1)
    assert vars(d.events) == dict(off_post=2, phone=2, sleeping=3, chatting=1, dress=0.5, empty_window=3)
    assert vars(d.callback_problems) == dict(extra_trip=2, no_one_time_notice=2, bad_attitude=3, misconduct=10, other=1)
    r = c.rectification
    assert vars(r.deadlines) == dict(
        bad_rating=15,
        overdue_case=3,
        one_notice=5,
        behaviour=5,
        callback_problem=5,
        misconduct=3,
        absence=5,
        repeated_lateness=5,
        low_score=10,
    )
    assert r.escalation_working_days == 5
    assert vars(r.thresholds) == dict(
        bad_rating_max_score=2, one_notice_min_supplements=2, repeated_lateness_nth_day=3, low_score_below=80
    )
    assert c.calendar.holidays == () and c.calendar.workdays == ()
    assert (c.staffing.target_share, c.staffing.target_wait_minutes) == (0.8, 20)


def test_config_is_frozen():
    c = load_config()
    with pytest.raises(Exception):
        c.scoring.shrinkage_m = 3  # type: ignore[misc]


def test_partial_yaml_overrides_key_by_key(tmp_path):
    p = tmp_path / "office.yaml"
    p.write_text(
        "scoring:\n  shrinkage_m: 5\n  ranking: {min_volume: 10}\n"
        "deductions:\n  events: {dress: 1}\n"
        "calendar:\n  holidays: [2026-03-10]\n  workdays: ['2026-03-14']\n"
        "attendance:\n  shift_start: '08:30'\n",
        encoding="utf-8",
    )
    c = load_config(p)
    assert c.scoring.shrinkage_m == 5
    assert c.scoring.ranking.min_volume == 10 and c.scoring.ranking.list_size == 3  # sibling kept
    assert c.deductions.events.dress == 1 and c.deductions.events.phone == 2
    assert c.calendar.holidays == (date(2026, 3, 10),) and c.calendar.workdays == (date(2026, 3, 14),)
    assert c.attendance.shift_start == time(8, 30) and c.attendance.shift_end == time(17, 0)
    assert c.scoring.weights.composite.quality == 0.35


def test_empty_file_gives_the_defaults(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("", encoding="utf-8")
    assert load_config(p) == load_config()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"scoring": {"weights": {"composite": {"timeliness": 0.45}}}},
         "scoring.weights.composite: weights must sum to 1, got 1.1"),  # 0.45 + 0.35 + 0.30 = 1.1
        ({"scoring": {"weights": {"timeliness": {"on_time_rate": 0.5}}}},
         "scoring.weights.timeliness: weights must sum to 1, got 0.8"),  # 0.5 + 0.3 = 0.8
        ({"scoring": {"colour": 1}}, "scoring.colour: unknown key"),
        ({"deductions": {"events": {"smoking": 1}}}, "deductions.events.smoking: unknown key"),
        ({"bogus": {}}, "bogus: unknown key"),
        ({"deductions": {"absent": -5}}, "deductions.absent: must not be negative, got -5"),
        ({"deductions": {"late": "one"}}, "deductions.late: expected a number, got text 'one'"),
        ({"deductions": {"late": True}}, "deductions.late: expected a number, got boolean"),
        ({"scoring": {"ranking": {"min_volume": 2.5}}}, "scoring.ranking.min_volume: expected a whole number, got 2.5"),
        ({"scoring": {"bad_max_score": 6}}, "scoring.bad_max_score: must be a score from 1 to 5, got 6"),
        ({"scoring": {"wait_target_minutes": 0}}, "scoring.wait_target_minutes: must be greater than 0, got 0"),
        ({"scoring": {"good_min_score": 2, "bad_max_score": 3}},
         "scoring.bad_max_score: must be below good_min_score 2, got 3"),  # a 2 or 3 would be good and bad
        ({"scoring": {"good_min_score": 2}}, "scoring.bad_max_score: must be below good_min_score 2, got 2"),
        ({"attendance": {"leave_gap_minutes": -1}}, "attendance.leave_gap_minutes: must not be negative, got -1"),
        ({"attendance": {"shift_start": "9h"}}, "attendance.shift_start: expected a time HH:MM, got '9h'"),
        ({"attendance": {"shift_end": "25:00"}}, "attendance.shift_end: expected a time HH:MM, got '25:00'"),
        ({"attendance": {"shift_end": "08:00"}}, "attendance.shift_end: must be after shift_start 09:00, got 08:00"),
        ({"calendar": {"holidays": ["2026-02-30"]}},
         "calendar.holidays[0]: expected a date YYYY-MM-DD, got '2026-02-30'"),
        ({"calendar": {"holidays": "2026-10-01"}}, "calendar.holidays: expected a list of dates"),
        ({"calendar": {"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]}},
         "calendar.workdays: date 2026-10-10 is also listed in calendar.holidays"),
        ({"staffing": {"target_share": 80}}, "staffing.target_share: must be a share in (0, 1), got 80"),
        # no number of windows calls everyone within the wait: the staffing step would fail
        ({"staffing": {"target_share": 1}}, "staffing.target_share: must be a share in (0, 1), got 1"),
        ({"scoring": {"weights": 3}}, "scoring.weights: expected a mapping"),
        ({"rectification": {"deadlines": {"low_score": -1}}},
         "rectification.deadlines.low_score: must be 0 to 250 working days, got -1"),
        ({"rectification": {"escalation_working_days": 1000000}},
         "rectification.escalation_working_days: must be 0 to 250 working days, got 1000000"),
    ],
)
def test_bad_key_or_value_names_the_key_and_the_reason(data, message):
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert str(e.value).startswith(message)


def test_bad_yaml_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("scoring: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    # YAML itself reads an unquoted date, and an impossible one fails inside the YAML reader
    p.write_text("calendar:\n  holidays: [2026-02-30]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: 日期无效 invalid date in the file \(day is out of range for month\)"):
        load_config(p)


def test_yaml_sexagesimal_time_is_read_as_minutes_of_the_day(tmp_path):
    # YAML 1.1 reads an unquoted 8:30 as 8*60+30 = 510
    p = tmp_path / "t.yaml"
    p.write_text("attendance:\n  shift_start: 8:30\n", encoding="utf-8")
    assert load_config(p).attendance.shift_start == time(8, 30)


def test_hash_is_stable_and_canonical():
    base = config_hash(load_config())
    assert len(base) == 16 and all(ch in "0123456789abcdef" for ch in base)
    assert config_hash(load_config()) == base
    # the same numbers written differently -> same hash
    assert config_hash(config_from_dict({"deductions": {"absent": 5.0}, "scoring": {"shrinkage_m": 10}})) == base
    # the shipped YAML given explicitly -> same hash
    assert config_hash(config_from_dict(yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")))) == base
    a = config_from_dict({"calendar": {"holidays": ["2026-03-10", date(2026, 3, 9)]}})
    b = config_from_dict({"calendar": {"holidays": [date(2026, 3, 9), "2026-03-10", "2026-03-10"]}})
    assert config_hash(a) == config_hash(b) != base
    # a different number -> a different hash
    assert config_hash(config_from_dict({"deductions": {"absent": 4}})) != base
