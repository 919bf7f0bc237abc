"""Alembic revisions. Ids are fixed ("0001", "0002", ...) so parallel work can't fork heads."""
