"""Watch: follow log files in real time and deliver what they say to signed webhooks.

Adapters around the core: :mod:`~logsum.watch.follower` (tailing with checkpoints),
:mod:`~logsum.watch.signing` (Standard Webhooks), :mod:`~logsum.watch.urlcheck` (SSRF),
:mod:`~logsum.watch.paths` (allowed roots), :mod:`~logsum.watch.retry` (backoff).
"""
