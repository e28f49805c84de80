"""The method's configuration (考评方法配置): every number of scoring.md and
rectification.md, in one YAML file.

``load_config(path)`` reads an office's YAML (any subset of the keys of
``default_config.yaml``; the rest keep their defaults, key by key), validates
it and returns a frozen ``MethodConfig``. A bad file is refused with a
``ConfigError`` whose message starts with the dotted key and gives the reason,
e.g. ``scoring.weights.composite: weights must sum to 1, got 1.1``.

``config_hash(cfg)`` is a stable sha256 (16 hex chars) of the canonical
resolved config: the same numbers give the same hash on every machine
(integers written as 5 or 5.0 alike, dates in any accepted spelling alike).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.yaml")


class ConfigError(ValueError):
    """A config value or key refused; ``key`` is the dotted key, ``reason`` why."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}" if key else reason)


# ---- field kinds ---------------------------------------------------------------
WEIGHT = "weight"  # float >= 0; the group must sum to 1
NUM = "num"  # float >= 0
POSNUM = "posnum"  # float > 0
INT = "int"  # int >= 0
POSINT = "posint"  # int >= 1
WORKDAYS = "workdays"  # int 0..MAX_WORKDAYS: a deadline or grace in working days
SCORE = "score"  # int 1..5
# A working year: a longer deadline is a typo, and a huge one would send the
# working-day arithmetic centuries ahead and fail the run halfway.
MAX_WORKDAYS = 250
FRACTION = "fraction"  # float in (0, 1): a share to reach (1 is out of reach of any queue)
TIME = "time"  # "HH:MM" / "HH:MM:SS" (or YAML's sexagesimal int = minutes of the day)
DATES = "dates"  # list of YYYY-MM-DD


def _f(kind: str) -> Any:
    return field(metadata={"kind": kind})


# ---- the config, as frozen dataclasses -------------------------------------------
@dataclass(frozen=True)
class TimelinessWeights:
    on_time_rate: float = _f(WEIGHT)
    wait_rate: float = _f(WEIGHT)


@dataclass(frozen=True)
class QualityBaseWeights:
    one_notice_rate: float = _f(WEIGHT)
    one_trip_rate: float = _f(WEIGHT)


@dataclass(frozen=True)
class SatisfactionWeights:
    rating_part: float = _f(WEIGHT)
    callback_part: float = _f(WEIGHT)


@dataclass(frozen=True)
class CompositeWeights:
    timeliness: float = _f(WEIGHT)
    quality: float = _f(WEIGHT)
    satisfaction: float = _f(WEIGHT)


@dataclass(frozen=True)
class ScoringWeights:
    timeliness: TimelinessWeights
    quality_base: QualityBaseWeights
    satisfaction: SatisfactionWeights
    composite: CompositeWeights


@dataclass(frozen=True)
class Ranking:
    min_volume: int = _f(INT)
    list_size: int = _f(INT)


@dataclass(frozen=True)
class Scoring:
    weights: ScoringWeights
    wait_target_minutes: float = _f(POSNUM)
    one_notice_max_supplements: int = _f(INT)
    one_trip_max_visits: int = _f(INT)
    rating_points_per_level: float = _f(POSNUM)
    good_min_score: int = _f(SCORE)
    bad_max_score: int = _f(SCORE)
    shrinkage_m: float = _f(NUM)
    ranking: Ranking


@dataclass(frozen=True)
class Attendance:
    shift_start: time = _f(TIME)
    shift_end: time = _f(TIME)
    grace_minutes: float = _f(NUM)
    leave_gap_minutes: float = _f(NUM)


@dataclass(frozen=True)
class EventPoints:
    off_post: float = _f(NUM)
    phone: float = _f(NUM)
    sleeping: float = _f(NUM)
    chatting: float = _f(NUM)
    dress: float = _f(NUM)
    empty_window: float = _f(NUM)


@dataclass(frozen=True)
class CallbackProblemPoints:
    extra_trip: float = _f(NUM)
    no_one_time_notice: float = _f(NUM)
    bad_attitude: float = _f(NUM)
    misconduct: float = _f(NUM)
    other: float = _f(NUM)


@dataclass(frozen=True)
class Deductions:
    events: EventPoints
    callback_problems: CallbackProblemPoints
    absent: float = _f(NUM)
    missing_punch: float = _f(NUM)
    late: float = _f(NUM)
    early: float = _f(NUM)


@dataclass(frozen=True)
class RuleDeadlines:
    bad_rating: int = _f(WORKDAYS)
    overdue_case: int = _f(WORKDAYS)
    one_notice: int = _f(WORKDAYS)
    behaviour: int = _f(WORKDAYS)
    callback_problem: int = _f(WORKDAYS)
    misconduct: int = _f(WORKDAYS)
    absence: int = _f(WORKDAYS)
    repeated_lateness: int = _f(WORKDAYS)
    low_score: int = _f(WORKDAYS)


@dataclass(frozen=True)
class RuleThresholds:
    bad_rating_max_score: int = _f(SCORE)
    one_notice_min_supplements: int = _f(POSINT)
    repeated_lateness_nth_day: int = _f(POSINT)
    low_score_below: float = _f(NUM)


@dataclass(frozen=True)
class Rectification:
    deadlines: RuleDeadlines
    thresholds: RuleThresholds
    escalation_working_days: int = _f(WORKDAYS)


@dataclass(frozen=True)
class CalendarConfig:
    holidays: tuple[date, ...] = _f(DATES)
    workdays: tuple[date, ...] = _f(DATES)


@dataclass(frozen=True)
class Staffing:
    target_share: float = _f(FRACTION)
    target_wait_minutes: float = _f(POSNUM)


@dataclass(frozen=True)
class MethodConfig:
    scoring: Scoring
    attendance: Attendance
    deductions: Deductions
    rectification: Rectification
    calendar: CalendarConfig
    staffing: Staffing

    def as_dict(self) -> dict:
        """Canonical plain dict (times 'HH:MM:SS', dates 'YYYY-MM-DD')."""
        return _canonical(dataclasses.asdict(self))


# ---- validation ----------------------------------------------------------------
def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return f"text {v!r}"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _number(key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(key, f"expected a number, got {_type_name(v)}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ConfigError(key, f"expected a finite number, got {v}")
    return v


def _integer(key: str, v: Any) -> int:
    v = _number(key, v)
    if isinstance(v, float):
        if not v.is_integer():
            raise ConfigError(key, f"expected a whole number, got {v}")
        v = int(v)
    return v


def _parse_time(key: str, v: Any) -> time:
    if isinstance(v, int) and not isinstance(v, bool):
        # YAML 1.1 reads an unquoted 9:30 as the sexagesimal 570 = minutes of the day.
        if 0 <= v < 24 * 60:
            return time(v // 60, v % 60)
        raise ConfigError(key, f"expected a time HH:MM, got {v}")
    if isinstance(v, time):
        return v
    if not isinstance(v, str):
        raise ConfigError(key, f"expected a time HH:MM, got {_type_name(v)}")
    parts = v.strip().split(":")
    try:
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValueError
        h, m, s = (int(p) for p in (parts + ["0"])[:3])
        return time(h, m, s)
    except ValueError:
        raise ConfigError(key, f"expected a time HH:MM, got {v!r}") from None


def _parse_date(key: str, v: Any) -> date:
    if isinstance(v, datetime):
        raise ConfigError(key, f"expected a date YYYY-MM-DD, got a date and time {v.isoformat(' ')}")
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            if len(v.strip()) != 10:
                raise ValueError
            return date.fromisoformat(v.strip())
        except ValueError:
            raise ConfigError(key, f"expected a date YYYY-MM-DD, got {v!r}") from None
    raise ConfigError(key, f"expected a date YYYY-MM-DD, got {_type_name(v)}")


def _value(kind: str, key: str, v: Any) -> Any:
    if kind in (WEIGHT, NUM):
        x = float(_number(key, v))
        if x < 0:
            raise ConfigError(key, f"must not be negative, got {v}")
        return x
    if kind == POSNUM:
        x = float(_number(key, v))
        if x <= 0:
            raise ConfigError(key, f"must be greater than 0, got {v}")
        return x
    if kind == FRACTION:
        x = float(_number(key, v))
        if not 0 < x < 1:
            raise ConfigError(key, f"must be a share in (0, 1), got {v}")
        return x
    if kind == INT:
        x = _integer(key, v)
        if x < 0:
            raise ConfigError(key, f"must not be negative, got {v}")
        return x
    if kind == WORKDAYS:
        x = _integer(key, v)
        if not 0 <= x <= MAX_WORKDAYS:
            raise ConfigError(key, f"must be 0 to {MAX_WORKDAYS} working days, got {v}")
        return x
    if kind == POSINT:
        x = _integer(key, v)
        if x < 1:
            raise ConfigError(key, f"must be at least 1, got {v}")
        return x
    if kind == SCORE:
        x = _integer(key, v)
        if not 1 <= x <= 5:
            raise ConfigError(key, f"must be a score from 1 to 5, got {v}")
        return x
    if kind == TIME:
        return _parse_time(key, v)
    if kind == DATES:
        if v is None:
            return ()
        if not isinstance(v, (list, tuple)):
            raise ConfigError(key, f"expected a list of dates YYYY-MM-DD, got {_type_name(v)}")
        return tuple(sorted({_parse_date(f"{key}[{i}]", x) for i, x in enumerate(v)}))
    raise AssertionError(kind)  # pragma: no cover


def _build(cls: type, user: Any, default: Any, path: str) -> Any:
    """Instance of dataclass ``cls`` from ``user`` over ``default`` (dicts)."""
    if user is None:
        user = {}
    if not isinstance(user, dict):
        raise ConfigError(path or "<config>", f"expected a mapping of keys, got {_type_name(user)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k in user:
        if k not in fields:
            key = f"{path}.{k}" if path else str(k)
            raise ConfigError(key, f"unknown key (expected one of: {', '.join(sorted(fields))})")
    values = {}
    for name, f in fields.items():
        key = f"{path}.{name}" if path else name
        sub_default = default.get(name) if isinstance(default, dict) else None
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            values[name] = _build(tp, user.get(name), sub_default, key)
            continue
        if name in user:
            raw = user[name]
        elif isinstance(default, dict) and name in default:
            raw = default[name]
        else:
            raise ConfigError(key, "missing key")
        values[name] = _value(f.metadata["kind"], key, raw)
    obj = cls(**values)
    _check_groups(obj, path)
    return obj


def _check_groups(obj: Any, path: str) -> None:
    flds = dataclasses.fields(obj)
    if flds and all(f.metadata.get("kind") == WEIGHT for f in flds):
        total = sum(getattr(obj, f.name) for f in flds)
        if abs(total - 1.0) > 1e-9:
            raise ConfigError(path, f"weights must sum to 1, got {round(total, 9)!r}")
    if isinstance(obj, Attendance) and obj.shift_end <= obj.shift_start:
        raise ConfigError(
            f"{path}.shift_end",
            f"must be after shift_start {obj.shift_start:%H:%M}, got {obj.shift_end:%H:%M}",
        )
    if isinstance(obj, Scoring) and obj.bad_max_score >= obj.good_min_score:
        # a rating counted both good and bad would make good_rate + bad_rate exceed 100%
        raise ConfigError(
            f"{path}.bad_max_score",
            f"must be below good_min_score {obj.good_min_score}, got {obj.bad_max_score}",
        )
    if isinstance(obj, CalendarConfig):
        both = sorted(set(obj.holidays) & set(obj.workdays))
        if both:
            raise ConfigError(
                f"{path}.workdays", f"date {both[0].isoformat()} is also listed in {path}.holidays"
            )


def _read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConfigError("", f"{path}: cannot read the config file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            "", f"{path}: 不是 UTF-8 编码，请另存为 UTF-8 (not UTF-8 text at byte {e.start}; save the file as UTF-8)"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError("", f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    except ValueError as e:  # YAML reads an unquoted 2026-02-30 as a date, and fails
        raise ConfigError("", f"{path}: 日期无效 invalid date in the file ({e})") from None


_DEFAULT_DICT: dict | None = None


def default_config_dict() -> dict:
    global _DEFAULT_DICT
    if _DEFAULT_DICT is None:
        _DEFAULT_DICT = _read_yaml(DEFAULT_CONFIG_PATH)
    return _DEFAULT_DICT


def config_from_dict(data: dict | None) -> MethodConfig:
    """Validate a (partial) config mapping over the shipped defaults."""
    return _build(MethodConfig, data, default_config_dict(), "")


def load_config(path: Path | str | None = None) -> MethodConfig:
    """The shipped defaults, or ``path``'s YAML over them (key by key)."""
    if path is None:
        return config_from_dict(None)
    return config_from_dict(_read_yaml(Path(path)))


def default_config() -> MethodConfig:
    return load_config(None)


# ---- hashing -----------------------------------------------------------------
def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [_canonical(v) for v in obj]
        return sorted(items) if isinstance(obj, (set, frozenset)) else items
    if isinstance(obj, time):
        return obj.strftime("%H:%M:%S")
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def config_hash(cfg: MethodConfig) -> str:
    """Stable sha256 (first 16 hex chars) of the canonical resolved config."""
    text = json.dumps(cfg.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- small accessors used by the scoring code ------------------------------------
def event_points(cfg: MethodConfig) -> dict[str, float]:
    return dataclasses.asdict(cfg.deductions.events)


def callback_problem_points(cfg: MethodConfig) -> dict[str, float]:
    return dataclasses.asdict(cfg.deductions.callback_problems)
