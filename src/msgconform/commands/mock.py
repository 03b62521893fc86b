"""`msgconform mock`: serve the reference mock emulating a provider profile."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from msgconform.core import profiles
from msgconform.core.errors import ConfigError
from msgconform.mock import scenarios
from msgconform.mock.faults import FAULTS

PROVIDERS = ("mock", "anthropic", "baseten", "cortecs")
KEY_ENV = "MSGCONFORM_MOCK_KEY"
EPILOG = f"""\
per-request controls (headers):
  x-msgconform-fault: NAME       apply one named fault to this request (see --list-faults)
  {scenarios.HEADER}: NAME[:ARG[:TAG]]
      rate_limited       429 rate_limit_error with retry-after: 1
      overloaded         529 overloaded_error with retry-after: 1
      stream_error       a stream ends with event: error after its first delta (JSON: 500)
      slow_first_byte    the headers wait ARG seconds (default 1.5, at most 30)
      long_stream        ARG words (default 2000), a ping every {scenarios.PING_EVERY} events
  For rate_limited and overloaded, ARG=N refuses only the first N requests carrying that exact
  header value (add a TAG to make it unique), so a client's retry then succeeds.

the key: --key, else ${KEY_ENV}, else a random key printed at start.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "mock", help="serve the reference mock provider",
        description="Serve the reference mock of the Messages API, emulating a provider profile.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--provider", default="mock", choices=PROVIDERS, help="profile to emulate")
    parser.add_argument("--profile", metavar="PATH", help="emulate your own profile.yaml instead")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--fault", help="apply this fault to every request")
    parser.add_argument("--key", help=f"the accepted key (default: ${KEY_ENV} or a random one)")
    parser.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    parser.set_defaults(func=run)


def list_faults() -> str:
    width = max(len(name) for name in FAULTS)
    lines = []
    for name, fault in sorted(FAULTS.items()):
        clauses = "legal variant" if fault.legal else ", ".join(fault.clauses)
        lines.append(f"{name:<{width}}  {fault.description}  [{clauses}]")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list_faults:
        print(list_faults())
        return 0
    if args.fault and args.fault not in FAULTS:
        raise ConfigError(
            "--fault", f"unknown fault {args.fault!r}", "msgconform mock --list-faults"
        )
    if not 0 <= args.port <= 65535:
        raise ConfigError("--port", f"{args.port} is not a port", "0..65535")
    profile = profiles.load_file(args.profile) if args.profile else profiles.load(args.provider)
    key = args.key or os.environ.get(KEY_ENV) or "sk-mock-" + secrets.token_hex(12)
    from msgconform.mock.server import MockServer

    server = MockServer(
        profile, key, args.fault, host=args.host, port=args.port, log_level="warning"
    )
    try:
        server.start()
    except OSError as exc:
        raise ConfigError(f"--port {args.port}", f"cannot listen: {exc.strerror}") from None
    shown = key if not (args.key or os.environ.get(KEY_ENV)) else "(as given)"
    print(f"mock {profile.name} on {server.url} (fault: {args.fault or 'none'}; key: {shown})")
    sys.stdout.flush()
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
