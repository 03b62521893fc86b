"""Errors a user can cause, each printed as one line by the CLI (exit status 2)."""

from __future__ import annotations


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
