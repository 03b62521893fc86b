"""The `msgconform` command. Each subcommand lives beside the code it drives, registering itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from msgconform import __version__
from msgconform.core.errors import ConfigError

# Modules that expose `register(subparsers)`; each adds its subcommands with set_defaults(func=...).
COMMAND_MODULES = (
    "msgconform.commands.run",
    "msgconform.commands.features",
    "msgconform.commands.init_profile",
    "msgconform.commands.mock",
    "msgconform.commands.check_stream",
    "msgconform.commands.report",
    "msgconform.commands.validate",
    "msgconform.commands.clients",
    "msgconform.commands.proxy",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="msgconform",
        description="Conformance tests for endpoints that speak the Anthropic Messages API.",
    )
    parser.add_argument("--version", action="version", version=f"msgconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module must surface
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"msgconform: {exc.line()}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `msgconform run --list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("msgconform: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
