"""How a benchmark states its result: figure, baseline, ratio, targets.

Every benchmark prints its figure beside a baseline measured in the same run
(these machines are shared and noisy, so only the ratio means anything), one
line per target, ``TARGET MISSED`` where one is missed, and a last
``BENCH-RESULT {json}`` line that ``python -m bench`` reads for its summary.
A missed target never fails the run: the exit status is for crashes.
"""

import json
from dataclasses import asdict, dataclass, field

RESULT_PREFIX = "BENCH-RESULT "


@dataclass(frozen=True)
class Target:
    """One target, e.g. ``throughput >= 0.6x baseline``, and whether this run met it."""

    description: str
    met: bool


@dataclass(frozen=True)
class Comparison:
    """A benchmark's outcome; ``measured`` and ``baseline`` are display strings with units."""

    name: str
    measured: str
    baseline: str
    ratio: float
    targets: list[Target] = field(default_factory=list)

    @property
    def all_met(self) -> bool:
        return all(target.met for target in self.targets)


def announce(comparison: Comparison) -> None:
    """Print the verdict lines and the machine-readable result line."""
    print(f"{comparison.name}: measured {comparison.measured}")
    print(f"{comparison.name}: baseline {comparison.baseline}")
    print(f"{comparison.name}: ratio {comparison.ratio:.2f}x")
    for target in comparison.targets:
        verdict = "met" if target.met else "TARGET MISSED"
        print(f"{comparison.name}: target {target.description}: {verdict}")
    print(RESULT_PREFIX + json.dumps(asdict(comparison)), flush=True)


def parse_result(line: str) -> Comparison | None:
    """The Comparison of a ``BENCH-RESULT`` line, else None."""
    if not line.startswith(RESULT_PREFIX):
        return None
    document = json.loads(line[len(RESULT_PREFIX) :])
    document["targets"] = [Target(**target) for target in document["targets"]]
    return Comparison(**document)
