"""Alembic migrations of the store, shipped inside the package (see ``store.db.upgrade``).

To add a revision after changing ``store.models``: bring a scratch database to the
current head, then let Alembic compare it with the models, and edit the result
(plain SQLAlchemy types only: a migration must not import ``store``)::

    .venv/bin/python -c "
    from alembic import command
    from store.db import alembic_config, upgrade
    url = 'sqlite:////tmp/scratch.db'
    upgrade(url)
    command.revision(alembic_config(url), message='what changed', autogenerate=True)
    "

``tests/store/test_migrations.py`` fails until the migrations and the models agree,
on SQLite and on PostgreSQL.
"""
