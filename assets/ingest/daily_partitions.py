"""The staged sources' day partitions, with their list of keys made once a day.

Dagster lists every key of a day-partitioned dependency at the start of each
step that reads it (it decides from the count whether to record the
dependency's data version per partition). From 2015 that is 4,350 keys, about
80 ms to make each time, and a night starts four such steps plus the checks'
step: 1–3 s of a night spent remaking the same list. The list only changes
when the last key does, so it is kept per last key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dagster as dg

_keys_by_last: dict[tuple[object, str | None], tuple[str, ...]] = {}


class DailyPartitions(dg.DailyPartitionsDefinition):
    """``dg.DailyPartitionsDefinition`` whose full key list is remembered."""

    def get_partition_keys(
        self, current_time: datetime | None = None, dynamic_partitions_store=None
    ) -> Sequence[str]:
        if current_time is not None:  # a question about another moment: answered afresh
            return super().get_partition_keys(current_time, dynamic_partitions_store)
        # Cheap (one window back from now), and the key list is fixed by it.
        last = self.get_last_partition_key()
        cache_key = (self, last)
        keys = _keys_by_last.get(cache_key)
        if keys is None:
            keys = tuple(super().get_partition_keys(None, dynamic_partitions_store))
            _keys_by_last[cache_key] = keys
        return list(keys)
