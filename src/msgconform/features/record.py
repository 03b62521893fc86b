"""What a feature case adds to its run-record line: the class and the declaration beside it."""

from __future__ import annotations

from typing import Any

from msgconform.checks.base import CaseContext


def feature_fields(context: CaseContext | None) -> dict[str, Any]:
    if context is None or context.feature is None:
        return {}
    return {"feature": context.feature.record()}
