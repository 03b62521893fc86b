"""The two kinds of trouble that are not verdicts: a user's mistake (ConfigError, printed as one
line, exit status 2) and an exchange that could not be completed (TransportError, a case ERROR)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from msgconform.core.exchange import Exchange


class ConfigError(Exception):
    """Bad input from the user: a profile, a flag, a missing variable, a data file."""

    def __init__(self, where: str, problem: str, expected: str | None = None) -> None:
        self.where = where
        self.problem = problem
        self.expected = expected
        super().__init__(self.line())

    def line(self) -> str:
        text = f"{self.where}: {self.problem}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class TransportError(Exception):
    """The exchange could not be completed (connection, timeout before any verdict, budget).

    Not a conformance verdict: the case ends as ERROR with the evidence so far."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        self.exchange = exchange
        super().__init__(message)
