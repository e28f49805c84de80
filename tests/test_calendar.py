"""WorkCalendar: the State Council schedule, config overrides, the Mon–Fri
fallback for unknown years (one warning per year) and the vectorised helper."""

import warnings
from datetime import date, timedelta

import polars as pl
import pytest

from assets.calendar import CalendarFallbackWarning, WorkCalendar


def test_national_day_2026_holiday_and_makeup_saturday_inside_deadline():
    cal = WorkCalendar()
    # 2026 National Day (chinese_calendar 1.11): 10-01..10-07 off, Sat 10-10 a make-up working day.
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert not cal.is_workday(date(2026, 10, 11))  # Sunday
    # Received Wed 09-30, 3 working days: 10-01..10-07 skipped,
    # 1 = Thu 10-08, 2 = Fri 10-09, 3 = Sat 10-10 (make-up day).
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    # 4 working days: Sun 10-11 off -> Mon 10-12.
    assert cal.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)


def test_n_zero_is_the_day_itself_even_on_a_holiday():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    # from a holiday, 1 working day: Thu 10-08
    assert cal.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_deadline_into_2027_falls_back_to_mon_fri_with_one_warning():
    cal = WorkCalendar()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        # Tue 2026-12-29 + 5: 1 = Wed 12-30, 2 = Thu 12-31 (2026 data), then 2027 unknown ->
        # Mon–Fri: 3 = Fri 2027-01-01, 4 = Mon 01-04, 5 = Tue 01-05.
        assert cal.add_working_days(date(2026, 12, 29), 5) == date(2027, 1, 5)
        assert cal.is_workday(date(2027, 1, 1))  # fallback knows no New Year
        assert not cal.is_workday(date(2027, 1, 2))  # Saturday
        assert cal.add_working_days(date(2027, 3, 5), 1) == date(2027, 3, 8)  # Fri -> Mon
    fallback = [w for w in rec if issubclass(w.category, CalendarFallbackWarning)]
    assert len(fallback) == 1
    assert "2027" in str(fallback[0].message)
    assert cal.fallback_years == {2027}


def test_no_warning_when_the_result_stays_in_a_known_year():
    cal = WorkCalendar()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        # Tue 12-01 + 5 = Tue 12-08 (no holiday in between)
        assert cal.add_working_days(date(2026, 12, 1), 5) == date(2026, 12, 8)
    assert not [w for w in rec if issubclass(w.category, CalendarFallbackWarning)]


def test_config_overrides_on_top_of_the_schedule():
    # Tue 2026-03-10 made a holiday, Sat 2026-03-14 made a working day
    cal = WorkCalendar(holidays={date(2026, 3, 10)}, workdays={date(2026, 3, 14)})
    assert not cal.is_workday(date(2026, 3, 10))
    assert cal.is_workday(date(2026, 3, 14))
    # Mon 03-09 + 1: Tue 03-10 off -> Wed 03-11
    assert cal.add_working_days(date(2026, 3, 9), 1) == date(2026, 3, 11)
    # Fri 03-13 + 1: Sat 03-14 (config working day)
    assert cal.add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 14)
    # a config holiday on a published make-up Saturday (2026-02-28) wins
    assert not WorkCalendar(holidays={date(2026, 2, 28)}).is_workday(date(2026, 2, 28))


def test_vectorised_matches_scalar_and_handles_nulls():
    cal = WorkCalendar()
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(0, 365, 3)]
    ns = [i % 17 for i in range(len(days))]
    df = pl.DataFrame({"d": days + [None, date(2026, 5, 6)], "n": ns + [3, None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        out = df.lazy().with_columns(r=cal.add_working_days_expr("d", "n"), w=cal.is_workday_expr("d")).collect()
        expected = [cal.add_working_days(d, n) for d, n in zip(days, ns)]
        expected_w = [cal.is_workday(d) for d in days]
    assert out["r"].to_list() == expected + [None, None]
    assert out["w"].to_list() == expected_w + [None, True]


def test_vectorised_on_a_large_column():
    cal = WorkCalendar()
    n = 1_000_000
    df = pl.DataFrame({"d": pl.Series([date(2026, 9, 30)] * n), "n": pl.Series([3] * n)})
    out = df.with_columns(r=cal.add_working_days_expr("d", "n"))
    # same arithmetic as the National Day test: 2026-09-30 + 3 = 2026-10-10
    assert out["r"].unique().to_list() == [date(2026, 10, 10)]


def test_negative_n_refused():
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(date(2026, 3, 2), -1)
