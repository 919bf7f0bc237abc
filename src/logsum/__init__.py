"""LogSum: raw log lines in; patterns, anomalies and insights out.

The public Python API is the engine and the values it returns::

    from logsum import Engine

    engine = Engine()
    for line in open("app.log", encoding="utf-8", errors="replace"):
        result = engine.process(line)          # LineResult: pattern_id, severity, params, ...
    for pattern in engine.patterns():          # Pattern: id, template, count, severity, ...
        print(pattern.count, pattern.template)
"""

from logsum.core.config import EngineConfig
from logsum.core.engine import Engine
from logsum.core.model import (
    WILDCARD,
    Header,
    LineResult,
    ParamSummary,
    Pattern,
    Severity,
)

__all__ = [
    "WILDCARD",
    "Engine",
    "EngineConfig",
    "Header",
    "LineResult",
    "ParamSummary",
    "Pattern",
    "Severity",
]
__version__ = "0.1.0"
