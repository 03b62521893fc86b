"""msgconform: contract and conformance tests for Anthropic Messages API endpoints."""

__version__ = "0.1.0"
