"""The driver fast path: statements compiled once by SQLAlchemy and run straight on the DBAPI
driver, with each column's own value processing.

``conn.execute(statement, rows)`` re-processes every parameter of every row through
SQLAlchemy's generic machinery, which costs several times the database's own work for the
hundred-odd rows a request upserts. Here the compiled SQL and the statement's constant
parameters are fixed once, and each value only goes through its column type's bind (or result)
processor: the very function SQLAlchemy would call, obtained through the public
``TypeEngine.dialect_impl(dialect).bind_processor(dialect)``, so dates and JSON are stored and
read identically (``tests/store/test_driver.py`` pins that against SQLAlchemy's own path).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

__all__ = ["DriverQuery", "DriverStatement", "bind_processor", "result_processor"]


def bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a value of ``type_`` before handing it to the driver."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


def result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a value of ``type_`` the driver returned."""
    return type_.dialect_impl(dialect).result_processor(dialect, None)


class DriverStatement:
    """A statement compiled once for a dialect and run as an executemany on the driver.

    Rows are tuples in the order of ``columns``.
    """

    def __init__(self, statement: Any, dialect: Dialect, columns: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        self._sql = str(compiled)
        processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind_processor(bind.type, dialect)
            if processor is not None:
                processors[name] = processor
        constants = {
            name: processors[name](value) if name in processors else value
            for name, value in compiled.params.items()
            if name not in columns
        }
        # Positional drivers (SQLite) take tuples, named ones (psycopg) dicts: either way a
        # template of the constants, with each column's value put in its slot(s).
        self._template: list[Any] | dict[str, Any]
        if compiled.positional:
            order = list(compiled.positiontup)
            self._template = [constants.get(n) for n in order]
            slots: list[list[Any]] = [[i for i, n in enumerate(order) if n == c] for c in columns]
        else:
            self._template = constants
            slots = [[c] for c in columns]
        self._plan = [(k, slots[k], processors.get(c)) for k, c in enumerate(columns) if slots[k]]

    @property
    def sql(self) -> str:
        """The statement as the driver takes it."""
        return self._sql

    def executemany(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Run the statement once per row of ``rows``, in ``conn``'s transaction."""
        conn.exec_driver_sql(self._sql, self.parameters(rows))

    def parameters(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """The driver's parameters for ``rows`` (a tuple or a dict per row)."""
        done: dict[tuple[int, int], Any] = {}  # objects shared by rows are processed once
        params: list[Any] = []
        template, plan = self._template, self._plan
        positional = isinstance(template, list)
        for row in rows:
            out = template.copy()
            for k, slots, processor in plan:
                value = row[k]
                if processor is not None and value is not None:
                    key = (k, id(value))
                    cached = done.get(key, done)
                    if cached is done:
                        cached = done[key] = processor(value)
                    value = cached
                for slot in slots:
                    out[slot] = value
            params.append(tuple(out) if positional else out)
        return params


class DriverQuery:
    """A SELECT compiled once for SQLite and run as one statement on the driver's connection
    (autocommitted: a consistent snapshot in WAL mode), with each column's own result processor
    applied (dates come back exactly as SQLAlchemy would return them)."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        self._sql = str(statement.compile(dialect=dialect))
        columns = list(statement.selected_columns)
        self._names = [str(c.key) for c in columns]
        self._processors = [result_processor(c.type, dialect) for c in columns]

    def first(self, db: sqlite3.Connection, params: tuple[Any, ...]) -> SimpleNamespace | None:
        """The first row for ``params`` (attributes named as the columns), or ``None``."""
        found = db.execute(self._sql, params).fetchone()
        if found is None:
            return None
        values = (v if p is None else p(v) for v, p in zip(found, self._processors, strict=True))
        return SimpleNamespace(**dict(zip(self._names, values, strict=True)))
