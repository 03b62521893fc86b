"""Talking to a target: the HTTP client (deadlines, retries, budget), cassettes, the session."""
