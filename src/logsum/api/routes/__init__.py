"""Routers, one per domain: analysis, patterns, operations (health, readiness, metrics)."""
