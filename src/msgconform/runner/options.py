"""The run's options, defined once: `msgconform run` (argparse) and the pytest plugin both read
this table, so a flag has one name, type, default and help in both.

pytest owns `--strict` (its strict mode), so the suite's switch is `--conformance-strict`
everywhere; `msgconform run` also takes the short `--strict` the docs use.

The plugin loads in every pytest run where msgconform is installed (its pytest11 entry point), so
an option another plugin registered first (pytest-base-url's --base-url, a project's own --model)
must not crash that run: the existing option is kept, and the suite reads it by the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from msgconform.core.errors import ConfigError
from msgconform.core.profiles import AUTH_SCHEMES

# `--explore`'s levels, shallowest first (core/settings.RunSettings reads them).
EXPLORE_LEVELS = ("fresh", "deep")

# "command": `msgconform run` only (what the command itself does: lists, plans, several runs).
Where = Literal["both", "command", "plugin"]


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    # "store" (one value), "append" (repeatable; a list), "store_true" (a switch).
    action: str = "store"
    metavar: str | None = None
    # A "store" option whose value may be left out (`--explore` alone is `--explore fresh`).
    const: str | None = None
    where: Where = "both"
    command_aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def default(self) -> Any:
        return {"append": [], "store_true": False}.get(self.action)

    def attrs(self) -> dict[str, Any]:
        # No `dest`: argparse derives the same one from the flag, and pytest refuses an option
        # whose derived dest another plugin already uses (which TolerantGroup then keeps).
        attrs: dict[str, Any] = {"help": self.help, "action": self.action}
        attrs["default"] = self.default
        if self.action == "store":
            attrs |= {"type": self.type, "choices": self.choices, "metavar": self.metavar}
            if self.const is not None:
                attrs |= {"nargs": "?", "const": self.const}
        elif self.action == "append":
            attrs |= {"metavar": self.metavar}
        return {k: v for k, v in attrs.items() if v is not None or k == "default"}


OPTIONS: tuple[Option, ...] = (
    Option("--provider", "profile name (repeatable; pytest: one)", action="append"),
    Option("--profile", "your own profile.yaml, with an expectations.yaml beside it if present "
            "(repeatable; pytest: one)", action="append", metavar="PATH"),
    Option("--rate", "requests per second (0: no limit; default: the profile's, none for "
            "loopback and private-network targets)", type=float),
    Option("--concurrency", "connections at once (default: the profile's)", type=int),
    Option("--max-requests", "request budget (default: the profile's)", type=int),
    Option("--timeout-scale", "multiply every deadline (slow models: 3)", type=float),
    Option("--model", "model to test (repeatable: a record each; pytest: one)", action="append"),
    Option("--models", "every model: the profile's model_list, or /v1/models",
            choices=("all",), where="command"),
    Option("--only", "area, clause, case ID or glob (repeatable)", action="append"),
    Option("--conformance-strict", "SHOULD failures count as FAIL", action="store_true",
            command_aliases=("--strict",)),
    Option("--out", "reports directory (default: reports/)"),
    Option("--no-report", "write no run record", action="store_true"),
    Option("--list", "list the cases; send nothing", action="store_true", where="command"),
    Option("--dry-run", "print the plan and its estimated cost; send nothing",
            action="store_true", where="command"),
    Option("--base-url", "generic profile: the server's base URL"),
    Option("--auth", "generic profile: the auth scheme", choices=AUTH_SCHEMES),
    Option("--key-env", "generic profile: the variable holding the key"),
    Option("--features", "generic profile: the features its documents declare "
            "(streaming,tools,…)"),
    Option("--mock-fault", "bundled mock only: serve with this named fault"),
    Option("--against-mock", "run this profile against the bundled mock", action="store_true"),
    Option("--seed", "seed for generated requests (default: derived)", type=int),
    Option("--explore", "fresh (the default): a fresh seed, new generated requests this run; "
            "deep: also schemathesis' negative examples, each breaking one thing (slower, "
            "nightly)", choices=EXPLORE_LEVELS, const="fresh"),
    Option("--record", "write the exchanges to this cassette (redacted)", metavar="CASSETTE"),
    Option("--replay", "re-run the checks offline on this cassette", metavar="CASSETTE"),
    Option("--progress", "one line per case (default for live providers)",
            action="store_true"),
    Option("--quiet", "no pytest header", action="store_true", where="command",
           command_aliases=("-q",)),
)  # fmt: skip

# The command names the provider of each pytest run itself; these are not passed through.
NOT_FORWARDED = frozenset({"provider", "profile"})


def for_target(where: Where) -> Iterator[Option]:
    return (o for o in OPTIONS if o.where in ("both", where))


def add_arguments(parser: Any) -> None:
    """`msgconform run`'s arguments (an argparse parser)."""
    for option in for_target("command"):
        parser.add_argument(option.flag, *option.command_aliases, **option.attrs())


def add_pytest_options(parser: pytest.Parser) -> None:
    group = TolerantGroup(parser.getgroup("msgconform", "Messages API conformance"))
    for option in for_target("plugin"):
        group.addoption(option.flag, **option.attrs())


def as_flags(values: Any, where: Where) -> list[str]:
    """Options back as flags, for the pytest plugin ("plugin") or a child `msgconform run`
    ("command"). `values` is a Namespace; an option it lacks counts as not given."""
    flags: list[str] = []
    for option in for_target(where):
        if option.dest in NOT_FORWARDED:
            continue
        value = getattr(values, option.dest, None)
        if option.action == "store_true":
            flags += [option.flag] if value else []
        elif option.action == "append" and not isinstance(value, str):
            for item in value or []:
                flags += [option.flag, str(item)]
        elif value is not None:
            flags += [option.flag, str(value)]
    return flags


def from_pytest(config: pytest.Config) -> dict[str, Any]:
    """Every option's value in a pytest run, by dest."""
    return {o.dest: config.getoption(o.dest, o.default) for o in for_target("plugin")}


def one_value(values: Mapping[str, Any], dest: str) -> str | None:
    """A repeatable option that a pytest run takes once (the command runs several)."""
    value = values.get(dest)
    if value is None or isinstance(value, str):  # another plugin's single-valued option
        return value
    items = [str(v) for v in value]
    if len(items) > 1:
        flag = "--" + dest.replace("_", "-")
        raise ConfigError(flag, "a pytest run takes one", "msgconform run runs several")
    return items[0] if items else None


class TolerantGroup:
    def __init__(self, group: pytest.OptionGroup) -> None:
        self.group = group

    def addoption(self, *names: str, **attrs: Any) -> None:
        try:
            self.group.addoption(*names, **attrs)
        except ValueError as exc:  # "option names {...} already added", "dest ... already used"
            if "already" not in str(exc):
                raise
