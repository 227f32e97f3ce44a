"""How `make test` shares the test files between its workers (pytest-xdist), so that both finish together.

xdist's `--dist loadfile` hands out whole files (a file's module fixtures are built once) in order of their
number of tests, which sends the few-but-slow files (the calibration books, the crash tests, the demo) last,
where one of them keeps a worker busy while the other has nothing left to do. Here the files go out slowest
first, by the seconds each took on the last recorded run (`durations.json`, written by
`pytest --store-durations`, as pytest-split does); a file not on record is reckoned by its number of tests. The
Spark tests are one unit, so that one worker starts one JVM for all of them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

DURATIONS = Path(__file__).with_name("durations.json")
# What a test of a file not on record is reckoned to take (the suite's median file is about 0.3 s a test).
UNRECORDED_SECONDS_PER_TEST = 0.3
SPARK_UNIT = "tests/spark"


def recorded_durations() -> dict[str, float]:
    try:
        return {
            str(name): float(seconds) for name, seconds in json.loads(DURATIONS.read_text("utf-8")).items()
        }
    except (OSError, ValueError, AttributeError):
        return {}


def unit_of(nodeid: str) -> str:
    """A test's unit of work: its file, or the one Spark unit."""
    path = nodeid.split("::", 1)[0]
    return SPARK_UNIT if path.endswith("_spark.py") else path


class SlowestFirstScheduling(LoadFileScheduling):
    """`--dist loadfile`, the Spark files as one unit, the units handed out slowest first."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.recorded = recorded_durations()

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _expected_seconds(self, unit: str, tests: int) -> float:
        if unit == SPARK_UNIT:
            spark = [seconds for name, seconds in self.recorded.items() if name.endswith("_spark.py")]
            return sum(spark) if spark else tests * UNRECORDED_SECONDS_PER_TEST
        return self.recorded.get(unit, tests * UNRECORDED_SECONDS_PER_TEST)

    def _assign_work_unit(self, node: Any) -> None:
        slowest = max(
            self.workqueue, key=lambda unit: self._expected_seconds(unit, len(self.workqueue[unit]))
        )
        self.workqueue.move_to_end(slowest, last=False)
        super()._assign_work_unit(node)


class DurationRecorder:
    """`--store-durations`: each file's seconds (set-up, call and tear-down of its tests) into durations.json."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            ordered = dict(
                sorted(((name, round(s, 1)) for name, s in self.seconds.items()), key=lambda i: -i[1])
            )
            DURATIONS.write_text(json.dumps(ordered, indent=1) + "\n", encoding="utf-8")
