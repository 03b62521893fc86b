"""`msgconform proxy`: judge an application's own traffic on its way to a provider."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from msgconform.core import profiles
from msgconform.core.errors import ConfigError
from msgconform.transport.client import Deadlines

DEFAULT_PORT = 8088


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proxy", help="forward your traffic to a provider and judge every exchange",
        description="A loopback proxy: forwards every request unchanged, judges each exchange "
        "on the side, and writes the run record and its views when stopped (Ctrl-C).",
    )  # fmt: skip
    parser.add_argument("--provider", help="the provider's profile, by name")
    parser.add_argument("--profile", metavar="FILE", help="your own profile.yaml instead")
    parser.add_argument("--upstream", metavar="URL", help="where to forward (default: profile)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--out", metavar="DIR", help="reports root (default reports/proxy)")
    parser.add_argument("--record", metavar="DIR", help="also write a cassette of every exchange")
    parser.set_defaults(func=run)


def load_profile(args: argparse.Namespace) -> profiles.Profile:
    if bool(args.provider) == bool(args.profile):
        raise ConfigError("msgconform proxy", "name one profile", "--provider P or --profile FILE")
    return profiles.load_file(args.profile) if args.profile else profiles.load(args.provider)


def upstream_of(args: argparse.Namespace, profile: profiles.Profile) -> str:
    upstream = args.upstream or profile.base_url
    if not upstream:
        raise ConfigError(
            f"profile {profile.name}", "no upstream to forward to",
            "--upstream URL (e.g. the URL `msgconform mock` prints)",
        )  # fmt: skip
    if not upstream.startswith(("http://", "https://")):
        raise ConfigError("--upstream", f"{upstream!r} is not an http(s) URL")
    return upstream.rstrip("/")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigError("--port", f"{args.port} is not a port", "0..65535")
    profile = load_profile(args)
    upstream = upstream_of(args, profile)
    from msgconform.proxy.session import ProxyRun, ProxyServer  # (loads the stack when used)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    proxy_run = ProxyRun(
        profile, upstream, out=Path(args.out) if args.out else None,
        record=Path(args.record) if args.record else None, live=True,
        argv=sys.argv[1:],
    )  # fmt: skip
    server = ProxyServer(proxy_run, Deadlines.from_limits(profile.timeouts), port=args.port)
    try:
        server.start()
    except OSError as exc:
        proxy_run.close("could not listen")
        raise ConfigError(f"--port {args.port}", f"cannot listen: {exc.strerror}") from None
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(
        f"msgconform proxy: {server.url} → {upstream} ({profile.name}); Ctrl-C writes the reports"
    )
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        proxy_run.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for line in proxy_run.summary_lines():
        print(line)
    return 0
