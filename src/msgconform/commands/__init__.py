"""The `msgconform` subcommands, one module each; `msgconform.cli` registers them in order."""
