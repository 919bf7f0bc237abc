"""The pattern store: API keys and each tenant's patterns, in SQLite (default) or PostgreSQL.

::

    from logsum.store import Store, PatternDelta, Tier

    store = Store("sqlite:////var/lib/logsum/logsum.db")   # or "postgresql+psycopg://..."
    store.migrate()                                       # alembic upgrade head
    record, plaintext = store.create_key("ci", Tier.PRO)  # plaintext is shown once, never stored
    store.upsert_patterns(record.id, [PatternDelta("p1", "Connection from <*>", "info", 3)])
    page, total = store.list_patterns(record.id, limit=50)

The tenant of a key is the key itself (``tenant_id == ApiKeyRecord.id``). Errors:
:class:`StoreError` and :class:`StoreUnavailable` (see :mod:`logsum.store.errors`).

Inside: :mod:`~logsum.store.db` (engine, transactions, retries, the SQLite writer lock; shared
with the watch store), :mod:`~logsum.store.keys` (key material), :mod:`~logsum.store.journal`
(merging deltas, pure), :mod:`~logsum.store.patterns` (their SQL), :mod:`~logsum.store.driver`
(the driver fast path), :mod:`~logsum.store.tables` and ``migrations/`` (the schema).
"""

from logsum.store.errors import StoreError, StoreUnavailable
from logsum.store.models import ApiKeyRecord, PatternDelta, StoredPattern, StoreLimits, Tier
from logsum.store.store import Store

__all__ = [
    "ApiKeyRecord",
    "PatternDelta",
    "Store",
    "StoreError",
    "StoreLimits",
    "StoreUnavailable",
    "StoredPattern",
    "Tier",
]
