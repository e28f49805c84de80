"""Erlang B / Erlang C queueing formulas for sizing service windows (科学设置调配办事窗口).

Model: M/M/c with first-come-first-served order and no abandonment. Customers
take a ticket at Poisson rate λ (per hour), every window serves with an
exponential handling time of mean AHT seconds, ``c`` windows are open. The
offered traffic is ``A = λ · AHT / 3600`` Erlangs (the average number of busy
windows needed).

* ``erlang_b(c, A)``: blocking probability of M/M/c/c, by the recursion
  ``B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))``. Every step is a ratio of
  numbers in [0, 1]; no factorial or power of A is formed, so it is exact to
  float precision for any c (tested at c = 200, A = 190).
* ``erlang_c(c, A)``: probability that an arrival has to wait,
  ``C = c·B / (c − A·(1 − B))`` for A < c, and 1 when A ≥ c (unstable queue).
* ``service_level``: share of arrivals called within ``t`` seconds,
  ``1 − C·exp(−(c − A)·t / AHT)``; 0 when A ≥ c.
* ``expected_wait``: mean wait over all arrivals (those not waiting count 0),
  ``C·AHT / (c − A)`` seconds; ``math.inf`` when A ≥ c.

All functions are pure, take plain floats/ints and need only the standard library.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = [
    "Staffing",
    "erlang_b",
    "erlang_c",
    "expected_wait",
    "fewest_servers",
    "service_level",
    "traffic_erlangs",
]


class Staffing(NamedTuple):
    """Result of :func:`fewest_servers` (a plain tuple, so it also unpacks)."""

    servers: int
    p_wait: float
    service_level: float
    expected_wait_seconds: float


def _check_servers_traffic(servers: int, traffic: float) -> None:
    if int(servers) != servers or servers < 0:
        raise ValueError(f"servers must be a non-negative integer, got {servers!r}")
    if not (traffic >= 0) or math.isinf(traffic):  # also rejects NaN
        raise ValueError(f"traffic must be a finite number >= 0 Erlangs, got {traffic!r}")


def traffic_erlangs(arrival_rate_per_hour: float, aht_seconds: float) -> float:
    """Offered load A = λ · AHT / 3600 (Erlangs)."""
    return arrival_rate_per_hour * aht_seconds / 3600.0


def erlang_b(servers: int, traffic: float) -> float:
    """Erlang B blocking probability B(c, A) by the stable recursion.

    ``erlang_b(0, A) == 1`` (no server: everyone is blocked) and
    ``erlang_b(c, 0) == 0`` for c ≥ 1.
    """
    _check_servers_traffic(servers, traffic)
    b = 1.0
    for k in range(1, int(servers) + 1):
        ab = traffic * b
        b = ab / (k + ab)
    return b


def _c_from_b(servers: int, traffic: float, b: float) -> float:
    if traffic >= servers:
        return 1.0
    if traffic == 0:
        return 0.0
    c = servers * b / (servers - traffic * (1.0 - b))
    return min(1.0, max(0.0, c))


def erlang_c(servers: int, traffic: float) -> float:
    """Erlang C: probability that an arrival waits, P(wait > 0).

    1.0 when traffic ≥ servers (the queue grows without bound, everyone waits);
    0.0 when traffic is 0 and at least one server is open.
    """
    return _c_from_b(servers, traffic, erlang_b(servers, traffic))


def _sl_from_c(servers: int, traffic: float, p_wait: float, aht_seconds: float, target_seconds: float) -> float:
    if traffic >= servers:
        return 0.0
    if p_wait == 0.0:
        return 1.0
    return 1.0 - p_wait * math.exp(-(servers - traffic) * target_seconds / aht_seconds)


def _ew_from_c(servers: int, traffic: float, p_wait: float, aht_seconds: float) -> float:
    if traffic >= servers:
        return math.inf
    return p_wait * aht_seconds / (servers - traffic)


def _check_aht(aht_seconds: float) -> None:
    if not (aht_seconds > 0) or math.isinf(aht_seconds):
        raise ValueError(f"aht_seconds must be a finite number > 0, got {aht_seconds!r}")


def service_level(servers: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of arrivals whose wait is ≤ ``target_seconds``.

    ``1 − C·exp(−(c − A)·t / AHT)``; 0.0 when traffic ≥ servers.
    """
    _check_aht(aht_seconds)
    if not (target_seconds >= 0):
        raise ValueError(f"target_seconds must be >= 0, got {target_seconds!r}")
    return _sl_from_c(servers, traffic, erlang_c(servers, traffic), aht_seconds, target_seconds)


def expected_wait(servers: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait in seconds over all arrivals, ``C·AHT / (c − A)``; ``inf`` if traffic ≥ servers."""
    _check_aht(aht_seconds)
    return _ew_from_c(servers, traffic, erlang_c(servers, traffic), aht_seconds)


def fewest_servers(
    arrival_rate_per_hour: float,
    aht_seconds: float,
    target_share: float,
    target_seconds: float,
    max_servers: int = 200,
) -> Staffing:
    """Fewest windows ``c`` with ``service_level(c, A, AHT, t) >= target_share``.

    Returns ``Staffing(servers, p_wait, service_level, expected_wait_seconds)``
    (a NamedTuple, so ``c, pw, sl, ew = fewest_servers(...)`` works).

    Rules:

    * Only stable staffing counts: ``c`` must exceed the traffic A, so the search
      starts at ``floor(A) + 1``. Erlang B is carried along the recursion, so the
      whole search is one O(max_servers) loop.
    * **No arrivals → 0 windows**: ``arrival_rate_per_hour == 0`` returns
      ``Staffing(0, 0.0, 1.0, 0.0)``: nobody comes, so no window is needed for
      that slot. A hall that must keep a window open anyway (e.g. a 兜底/综合
      window) applies that floor itself; it is policy, not queueing.
    * **Target not reachable**: if even ``max_servers`` windows miss the target
      (traffic ≥ max_servers, or a target too strict), the result for
      ``max_servers`` is returned, with its service level below
      ``target_share`` (0.0 and ``inf`` wait if traffic ≥ max_servers).
      Callers detect this with ``result.service_level < target_share``.
    * ``target_share`` must be in [0, 1): with any traffic, no finite c reaches
      a service level of exactly 1.
    """
    if not (arrival_rate_per_hour >= 0) or math.isinf(arrival_rate_per_hour):
        raise ValueError(f"arrival_rate_per_hour must be finite and >= 0, got {arrival_rate_per_hour!r}")
    if not (0 <= target_share < 1):
        raise ValueError(f"target_share must be in [0, 1), got {target_share!r}")
    if not (target_seconds >= 0):
        raise ValueError(f"target_seconds must be >= 0, got {target_seconds!r}")
    if int(max_servers) != max_servers or max_servers < 1:
        raise ValueError(f"max_servers must be an integer >= 1, got {max_servers!r}")
    if arrival_rate_per_hour == 0:
        return Staffing(0, 0.0, 1.0, 0.0)
    _check_aht(aht_seconds)
    traffic = traffic_erlangs(arrival_rate_per_hour, aht_seconds)
    max_servers = int(max_servers)

    b = 1.0
    for k in range(1, max_servers + 1):
        ab = traffic * b
        b = ab / (k + ab)
        if k <= traffic:  # unstable: keep recursing
            continue
        pw = _c_from_b(k, traffic, b)
        sl = _sl_from_c(k, traffic, pw, aht_seconds, target_seconds)
        if sl >= target_share or k == max_servers:
            return Staffing(k, pw, sl, _ew_from_c(k, traffic, pw, aht_seconds))
    # traffic >= max_servers: no stable staffing within the cap
    return Staffing(max_servers, 1.0, 0.0, math.inf)
