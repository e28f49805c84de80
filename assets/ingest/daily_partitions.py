"""The staged sources' day partitions, with their list of keys made once a day.

Dagster lists every key of a day-partitioned dependency at the start of each
step that reads it (it decides from the count whether to record the
dependency's data version per partition). From 2015 that is 4,350 keys, about
80 ms to make each time, and a night starts four such steps plus the checks'
step: over a second of a night spent remaking the same list (more while the
other core is busy). The list only changes when the last key does, so it is
kept with the last key it was made for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import dagster as dg

# per definition: the last key the list was made for, and the list
_lists: dict[object, tuple[str | None, tuple[str, ...]]] = {}


class DailyPartitions(dg.DailyPartitionsDefinition):
    """``dg.DailyPartitionsDefinition`` whose full key list is remembered."""

    def get_partition_keys(
        self, current_time: datetime | None = None, dynamic_partitions_store=None
    ) -> Sequence[str]:
        if current_time is not None:  # a question about another moment: answered afresh
            return super().get_partition_keys(current_time, dynamic_partitions_store)
        # Cheap (one window back from now), and the key list is fixed by it.
        last = self.get_last_partition_key()
        made_for, keys = _lists.get(self, (None, ()))
        if made_for != last or not keys:
            keys = tuple(super().get_partition_keys(None, dynamic_partitions_store))
            _lists[self] = (last, keys)
        return list(keys)
