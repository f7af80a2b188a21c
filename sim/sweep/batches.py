"""Batches: a sweep's runs grouped into ensembles of runs whose scenarios share one structure.

Consecutive runs (in run id order) go into one :class:`~sim.sweep.tasks.BatchTask` while their
resolved scenarios have the same fields (the same list lengths: the same brokers, funds, option
series, events), the same ``simulation.days`` and ``meta.start_date``, up to ``size`` runs. The
first run's scenario is the batch's base; every field where another run's scenario differs
becomes a per-path parameter of the ensemble, with the explicit dotted path of that field
(``brokers.1.house_maintenance``). Each run's scenario, rebuilt from the base and its parameters
exactly as the ensemble rebuilds it, is checked against the run's own scenario hash here, before
anything runs: a run that does not rebuild to the same hash gets a batch of its own (its own
scenario, nothing varied), so a batch never runs a scenario other than the design's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sim.config.scenario import resolve
from sim.core.errors import InputError
from sim.sweep.tasks import BatchTask

MAX_BATCH_RUNS = 32
"""The most runs in one batch: long enough to amortize a task's overhead, short enough to balance the workers."""


@dataclass(frozen=True)
class PointScenario:
    """One design point's resolved scenario: its dict, hash and fields (dotted path -> value)."""
    data: dict[str, Any]
    hash: str
    fields: dict[str, Any]

    @classmethod
    def of(cls, data: dict[str, Any], hash_: str) -> PointScenario:
        return cls(data, hash_, dict(_fields(data)))

    def shape(self) -> tuple[Any, ...]:
        """What runs of one batch must share: the field names, the number of days and the start date."""
        return (tuple(self.fields), self.fields.get("simulation.days"), self.fields.get("meta.start_date"))


def _fields(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The leaves of a scenario dict by dotted path; a list of tables is indexed (``events.0.day``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _fields(item, f"{prefix}{key}.")
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for i, item in enumerate(value):
            yield from _fields(item, f"{prefix}{i}.")
    else:
        yield prefix[:-1], value


def batch_size(runs: int, workers: int | None) -> int:
    """Runs per batch: about four batches per worker (four when unknown), 1 to :data:`MAX_BATCH_RUNS`."""
    return max(1, min(MAX_BATCH_RUNS, runs // (4 * (workers or 4))))


def make_batches(runs: Iterable[tuple[int, int, int]], point: Any, size: int, metrics: tuple[str, ...],
                 series: tuple[str, ...]) -> Iterator[BatchTask]:
    """Group ``runs`` (run id, design point, seed; in order) into batches of at most ``size`` runs.

    ``point(i)`` is design point ``i``'s :class:`PointScenario`.
    """
    group: list[tuple[int, int, int]] = []
    for run in runs:
        if group and (len(group) >= size or point(run[1]).shape() != point(group[0][1]).shape()):
            yield from _batches(group, point, metrics, series)
            group = []
        group.append(run)
    if group:
        yield from _batches(group, point, metrics, series)


def _batches(group: list[tuple[int, int, int]], point: Any, metrics: tuple[str, ...],
             series: tuple[str, ...]) -> Iterator[BatchTask]:
    """One batch for ``group``, and one of its own for each run whose scenario does not rebuild exactly."""
    base = point(group[0][1])
    varied: dict[str, None] = {}  # the fields that differ from the base, in the order first seen
    for _, p, _ in group:
        varied.update((k, None) for k, v in point(p).fields.items() if not _same(v, base.fields[k]))
    params = {k: tuple(point(p).fields[k] for _, p, _ in group) for k in varied}
    rebuilt = {p: _rebuilds(base.data, {k: point(p).fields[k] for k in varied}, point(p).hash) for _, p, _ in group}
    good = [i for i, (_, p, _) in enumerate(group) if rebuilt[p]]
    if good:
        yield BatchTask(tuple(group[i][0] for i in good), base.data, {k: tuple(v[i] for i in good)
                                                                     for k, v in params.items()},
                        tuple(group[i][2] for i in good), metrics, series)
    for run_id, p, seed in (run for run in group if not rebuilt[run[1]]):
        yield BatchTask((run_id,), point(p).data, {}, (seed,), metrics, series)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _rebuilds(base: dict[str, Any], params: dict[str, Any], expected: str) -> bool:
    """Whether the base with ``params`` set is the scenario of hash ``expected`` (as the ensemble rebuilds it)."""
    if not params:
        return True
    try:
        return resolve(base, params).hash() == expected
    except InputError:
        return False
