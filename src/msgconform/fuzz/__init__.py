"""Generated requests: drawn from the profile's contract and its x-rules, seeded, replayed first
from stored examples, shrunk with re-checks (probe.py)."""
