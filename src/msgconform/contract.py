"""The bundled contract for one profile: upstream OpenAPI + API version data + provider overlay.

INTERFACE STUB: the contract helper replaces this module; the signatures below are the interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SchemaIssue:
    path: str  # dotted JSON path into the instance, e.g. "messages.0.content.1.source.media_type"
    message: str  # the rule broken, e.g. "must be one of image/jpeg, image/png, image/gif, image/webp"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class Contract:
    version: str
    overlay: str | None
    openapi: dict[str, Any]
    stop_reasons: tuple[str, ...]
    error_types: dict[int, str]

    @classmethod
    def load(cls, version: str = "2023-06-01", overlay: str | None = None) -> Contract:
        raise NotImplementedError

    def request_issues(self, body: Any, endpoint: str = "messages") -> list[SchemaIssue]:
        raise NotImplementedError

    def message_issues(self, body: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def event_issues(self, event: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def error_issues(self, body: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def count_tokens_issues(self, body: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def models_page_issues(self, body: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def model_info_issues(self, body: Any) -> list[SchemaIssue]:
        raise NotImplementedError

    def extra_fields(self, body: Any, component: str = "Message") -> list[str]:
        raise NotImplementedError
