"""Adding the plugin's options without breaking a pytest run that already has one of them.

The plugin loads in every pytest run where msgconform is installed (its pytest11 entry point), so
an option another plugin registered first (pytest-base-url's --base-url, a project's own --model)
must not crash that run: the existing option is kept, and the suite reads it by the same name.
"""

from __future__ import annotations

from typing import Any

import pytest


class TolerantGroup:
    def __init__(self, group: pytest.OptionGroup) -> None:
        self.group = group

    def addoption(self, *names: str, **attrs: Any) -> None:
        try:
            self.group.addoption(*names, **attrs)
        except ValueError as exc:  # "option names {...} already added", "dest ... already used"
            if "already" not in str(exc):
                raise
