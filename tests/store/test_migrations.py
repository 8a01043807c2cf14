"""The migrations shipped in the package build exactly the schema the models declare."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import alembic_config, current_revision, head_revision, make_engine, upgrade
from store.models import metadata


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_builds_the_models_schema(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade(db_url) == head_revision()
    assert current_revision(db_url) == head_revision()
    assert _diff(db_url) == []
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables
    # Running it again changes nothing.
    assert upgrade(db_url) == head_revision()
    assert _diff(db_url) == []


def test_compare_would_see_a_missing_table(db_url: str) -> None:
    # The no-diff assertion above means something only if a difference shows.
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE spreadsheet_rows")
    finally:
        engine.dispose()
    diff = _diff(db_url)
    assert any(d[0] == "add_table" and d[1].name == "spreadsheet_rows" for d in diff)  # type: ignore[index]


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_instances_starting_together_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start() -> None:
        try:
            barrier.wait()
            upgrade(pg_url)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_revision(pg_url) == head_revision()
    assert _diff(pg_url) == []
