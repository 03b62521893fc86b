"""`msgconform init-profile NAME --base-url URL`: a commented starter profile to edit."""

from __future__ import annotations

import argparse
import json
import re
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from msgconform.core import profiles
from msgconform.core.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")
URL_PATTERN = re.compile(r"^https?://[^\s/]+")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "init-profile",
        help="write a commented starter profile for your own endpoint",
        description="Write NAME/profile.yaml (in --dir): a profile for your endpoint to edit, "
        "then run with `msgconform run --profile NAME/profile.yaml`.",
    )
    parser.add_argument("name", help="profile name: lower case, digits, - and _")
    parser.add_argument("--base-url", required=True, help="e.g. http://localhost:8000")
    parser.add_argument("--model", default="default", help="the model to test")
    parser.add_argument("--key-env", help="variable holding the key (default: NAME_API_KEY)")
    parser.add_argument("--dir", default=".", help="where NAME/ is created (default: here)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing profile")
    parser.set_defaults(func=cmd_init_profile)


def cmd_init_profile(args: argparse.Namespace) -> int:
    path = Path(args.dir) / args.name / "profile.yaml"
    text = render(args.name, args.base_url, args.model, args.key_env, path)
    if path.exists() and not args.force:
        raise ConfigError(str(path), "already exists", "another NAME, or --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    profiles.load_file(str(path))  # what we wrote must load, or this command has a bug
    print(f"msgconform: wrote {path}; edit it, then: msgconform run --profile {path}")
    return 0


def render(name: str, base_url: str, model: str, key_env: str | None, path: Path) -> str:
    if not NAME_PATTERN.match(name):
        raise ConfigError(f"init-profile {name}", "not a profile name", "e.g. my-endpoint")
    if not URL_PATTERN.match(base_url):
        raise ConfigError("--base-url", f"{base_url!r} is not a URL", "http://host:port")
    key_env = key_env or re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY"
    template = resources.files("msgconform.runner").joinpath("starter_profile.yaml")
    quoted = {  # JSON strings are valid YAML scalars, whatever the URL or model contains
        "name": name,
        "title": json.dumps(f"{name} (edit this title)"),
        "base_url": json.dumps(base_url.rstrip("/")),
        "model": json.dumps(model),
        "key_env": key_env,
        "path": str(path),
    }
    return Template(template.read_text(encoding="utf-8")).substitute(quoted)
