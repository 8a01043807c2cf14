"""Core statements compiled once per dialect and run straight on the DBAPI cursor.

The bot files hundreds of mails a second, each with about ten small statements.
Through SQLAlchemy's execution machinery one such statement costs about 0.1–0.2 ms
here (execution context, parameter and result processing set-up, events), ten
times what SQLite needs to run it. :class:`DriverStatement` keeps what matters of
that machinery and drops the rest:

- the SQL is compiled once per dialect by SQLAlchemy itself (same SQL, same
  paramstyle; fixed ``IN`` lists written with :func:`states_in`);
- parameters go through the column types' own bind processors (JSON encoded, UTC
  times, lower-cased addresses, bracketed Message-IDs), and returned columns
  through their result processors, exactly as with ``session.execute``;
- it runs on the session's own connection, inside the session's transaction.

Use it for fixed statements on the hot path only; everything else keeps the ORM
or ordinary Core execution.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, insert, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

Processor = Callable[[Any], Any] | None
_DRIVER_KEY = "store.driver.connection"
_STATE = re.compile(r"[a-z_]+")


def states_in(column: Any, states: Iterable[object]) -> ColumnElement[bool]:
    """``column IN ('a', 'b')`` with the states written in the SQL.

    ``column.in_([...])`` makes an "expanding" parameter that is only rendered at
    execution time; fixed state names written in the SQL keep the statement
    complete once compiled (they are checked to be plain lower-case words).
    """
    names = [str(getattr(state, "value", state)) for state in states]
    if not all(_STATE.fullmatch(name) for name in names):
        raise ValueError(f"not plain state names: {names!r}")
    return column.in_([literal_column(f"'{name}'") for name in names])  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    # Bind name → processor, and the names in the order of the placeholders.
    binds: tuple[tuple[str, Processor], ...]
    # Literal values SQLAlchemy bound itself (``last_number + 1``, ``state IN (…)``).
    constants: Mapping[str, Any]
    results: tuple[Processor, ...]


def _driver(session: Session | Connection) -> tuple[Dialect, Any]:
    """The dialect and DBAPI connection of the session's current transaction.

    Asking the session for its connection costs more than a small statement, so
    the answer is kept in ``session.info`` for as long as the transaction lasts.
    A Core ``Connection`` (in a transaction) is used as it is.
    """
    if isinstance(session, Connection):
        return session.dialect, session.connection.driver_connection
    transaction = session.get_transaction()
    cached = session.info.get(_DRIVER_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1], cached[2]
    connection = session.connection()
    driver = connection.connection.driver_connection
    session.info[_DRIVER_KEY] = (session.get_transaction(), connection.dialect, driver)
    return connection.dialect, driver


def dialect_of(target: Session | Connection) -> Dialect:
    """The dialect a session or connection speaks."""
    return _driver(target)[0]


class DriverStatement:
    """One Core statement, run on the DBAPI cursor of a session's connection."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        positional = bool(compiled.positional)
        names: Sequence[str] = (
            list(compiled.positiontup or [])
            if positional
            else list(dict.fromkeys(compiled.bind_names.values()))
        )
        binds = []
        constants: dict[str, Any] = {}
        for name in names:
            bind = compiled.binds[name]
            binds.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect)))
            if not bind.required and bind.callable is None and bind.value is not None:
                constants[name] = bind.value
        columns = getattr(self.statement, "exported_columns", ())
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        return _Compiled(str(compiled), positional, tuple(binds), constants, results)

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    @staticmethod
    def _parameters(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        """``params`` processed by the column types, in the driver's paramstyle."""
        values = []
        for name, processor in compiled.binds:
            value = params[name] if name in params else compiled.constants.get(name)
            values.append(processor(value) if processor is not None else value)
        if compiled.positional:
            return values
        return dict(zip((name for name, _ in compiled.binds), values, strict=True))

    def _run(
        self, session: Session | Connection, params: Mapping[str, Any]
    ) -> tuple[Any, _Compiled]:
        dialect, driver = _driver(session)
        compiled = self.compiled(dialect)
        cursor = driver.cursor()
        cursor.execute(compiled.sql, self._parameters(compiled, params))
        return cursor, compiled

    def execute(self, session: Session | Connection, params: Mapping[str, Any]) -> int:
        """Run it; the number of rows it changed."""
        cursor, _ = self._run(session, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def first(
        self, session: Session | Connection, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """Run it; its first row (columns through their types' result processors)."""
        cursor, compiled = self._run(session, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(
            proc(value) if proc is not None else value
            for proc, value in zip(compiled.results or (None,) * len(row), row, strict=False)
        )

    def execute_many(
        self, session: Session | Connection, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Run it once per row, in one ``executemany``."""
        if not rows:
            return
        dialect, driver = _driver(session)
        compiled = self.compiled(dialect)
        batch = [self._parameters(compiled, params) for params in rows]
        cursor = driver.cursor()
        try:
            cursor.executemany(compiled.sql, batch)
        finally:
            cursor.close()


class DriverInsert:
    """``INSERT`` of rows given as dicts, with the columns' defaults applied here.

    Compiled once per dialect and set of columns. Columns missing from a row get
    their Python-side default (times, states, empty JSON), as Core would give them.
    ``returning_id`` makes :meth:`one` return the new row's id; ``conflict`` (the
    columns of a unique key) turns a duplicate into a no-op that returns None.
    """

    def __init__(
        self, table: Table, *, returning_id: bool = False, conflict: Sequence[str] = ()
    ) -> None:
        self.table = table
        self.returning_id = returning_id
        self.conflict = tuple(conflict)
        self._defaults = {
            column.name: column.default
            for column in table.columns
            if column.default is not None and not column.primary_key
        }
        self._statements: dict[tuple[str, tuple[str, ...]], DriverStatement] = {}

    def _statement(self, dialect: str, names: tuple[str, ...]) -> DriverStatement:
        found = self._statements.get((dialect, names))
        if found is None:
            table = self.table
            values = {name: bindparam(name, type_=table.c[name].type) for name in names}
            if self.conflict:
                make = pg_insert if dialect == "postgresql" else sqlite_insert
                stmt: Any = (
                    make(table).values(values).on_conflict_do_nothing(index_elements=self.conflict)
                )
            else:
                stmt = insert(table).values(values)
            if self.returning_id:
                stmt = stmt.returning(table.c.id)
            found = self._statements[(dialect, names)] = DriverStatement(stmt)
        return found

    def _complete(self, row: Mapping[str, Any]) -> dict[str, Any]:
        full = dict(row)
        for name, default in self._defaults.items():
            if name not in full:
                arg = default.arg  # type: ignore[attr-defined]
                full[name] = arg(None) if default.is_callable else arg
        return full

    def one(self, session: Session | Connection, row: Mapping[str, Any]) -> int | None:
        """Insert ``row``; the new id (``returning_id``), or None for a duplicate."""
        full = self._complete(row)
        stmt = self._statement(_driver(session)[0].name, tuple(full))
        if not self.returning_id:
            stmt.execute(session, full)
            return None
        found = stmt.first(session, full)
        return int(found[0]) if found is not None else None

    def many(self, session: Session | Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (all naming the same columns) in one ``executemany``."""
        if not rows:
            return
        full = [self._complete(row) for row in rows]
        self._statement(_driver(session)[0].name, tuple(full[0])).execute_many(session, full)
