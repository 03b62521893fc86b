"""Property-based requests drawn from the contract (schemathesis + hypothesis)."""
