"""Core types and data loading every layer shares: errors, paths, exchanges, profiles, cases."""
