"""Figures: a measured value and its baseline, each the median of repetitions with min and max."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Sample:
    """Repetitions of one measurement; `higher_is_better` orders the ratio."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def as_dict(self) -> dict[str, Any]:
        if not self.values:
            return {"median": None, "min": None, "max": None, "n": 0}
        return {
            "median": round(self.median, 4),
            "min": round(min(self.values), 4),
            "max": round(max(self.values), 4),
            "n": len(self.values),
        }


@dataclass
class Figure:
    part: str
    name: str
    unit: str
    value: Sample
    baseline_name: str | None = None
    baseline: Sample | None = None
    # How the ratio reads: "value/baseline" or "baseline/value"; always a slowdown or a share.
    ratio_kind: str | None = None
    target: str | None = None
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.values or not self.value.values:
            return None
        a, b = self.value.median, self.baseline.median
        num, den = (a, b) if self.ratio_kind == "value/baseline" else (b, a)
        return num / den if den else None

    def judge(self, test: Callable[[Figure], bool] | None, target: str) -> Figure:
        self.target = target
        self.met = None if test is None or not self.value.values else bool(test(self))
        return self

    def as_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "part": self.part,
            "name": self.name,
            "unit": self.unit,
            "value": self.value.as_dict(),
            "baseline": None
            if self.baseline is None
            else {"name": self.baseline_name, **self.baseline.as_dict()},
            "ratio": None if ratio is None else round(ratio, 3),
            "ratio_kind": self.ratio_kind,
            "target": self.target,
            "met": self.met,
            "note": self.note,
            **({"extra": self.extra} if self.extra else {}),
        }


def repeat(times: int, measure: Callable[[], float]) -> Sample:
    return Sample([measure() for _ in range(times)])
