"""Initial schema: every table of store.models at its first version.

Written from autogenerate output, with the project's own column types replaced by
the plain types they store (a migration must not import code that changes later).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 08:54:11.412737
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("nuc", sa.String(length=32), nullable=True),
        sa.Column("sender_email", sa.String(), nullable=True),
        sa.Column("sender_name", sa.String(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("assigned_to", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("ref", name=op.f("uq_cases_ref")),
    )
    op.create_index("ix_cases_assigned_status", "cases", ["assigned_to", "status"])
    op.create_index(op.f("ix_cases_nuc"), "cases", ["nuc"])
    op.create_index(
        "ix_cases_role_kind_status", "cases", ["role", "kind", "status", "waiting_since"]
    )
    op.create_index(op.f("ix_cases_sender_email"), "cases", ["sender_email"])
    op.create_index("ix_cases_status_waiting", "cases", ["status", "waiting_since", "id"])

    op.create_table(
        "mailbox_states",
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_mailbox_states")),
    )
    op.create_table(
        "ref_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_ref_counters")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_audit_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_case_id"), "audit_events", ["case_id"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("sender_name", sa.String(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("classification", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_messages_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_case_id"), "messages", ["case_id"])
    op.create_index("ix_messages_created_kind", "messages", ["created_at", "kind"])
    op.create_index(op.f("ix_messages_message_id"), "messages", ["message_id"])
    op.create_index(op.f("ix_messages_sender"), "messages", ["sender"])
    op.create_index(op.f("ix_messages_sha256"), "messages", ["sha256"])

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("declared_type", sa.String(), nullable=True),
        sa.Column("sniffed_type", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("inline", sa.Boolean(), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=True),
        sa.Column("needs_check", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"])

    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("source_key", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("action_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_receipts_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.id"], name=op.f("fk_receipts_message_pk_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("mailbox", "source_key", name=op.f("uq_receipts_mailbox_source_key")),
        sa.UniqueConstraint(
            "mailbox", "uidvalidity", "uid", name=op.f("uq_receipts_mailbox_uidvalidity_uid")
        ),
    )
    op.create_index("ix_receipts_action_pending", "receipts", ["mailbox", "action_done_at"])
    op.create_index(op.f("ix_receipts_message_id"), "receipts", ["message_id"])
    op.create_index(op.f("ix_receipts_sha256"), "receipts", ["sha256"])
    op.create_index(op.f("ix_receipts_status"), "receipts", ["status"])

    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("in_reply_to_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("from_addr", sa.String(), nullable=False),
        sa.Column("to_addr", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_replies_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["in_reply_to_id"], ["messages.id"], name=op.f("fk_replies_in_reply_to_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("message_id", name=op.f("uq_replies_message_id")),
    )
    op.create_index(op.f("ix_replies_case_id"), "replies", ["case_id"])
    op.create_index("ix_replies_state_next", "replies", ["state", "next_attempt_at"])
    op.create_index("ix_replies_to_created", "replies", ["to_addr", "created_at"])

    op.create_table(
        "spreadsheet_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("organisation", sa.String(), nullable=True),
        sa.Column("branch", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("nir", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("cqp", sa.String(length=32), nullable=True),
        sa.Column("blocks", sa.String(), nullable=True),
        sa.Column("certifiable_from", sa.Date(), nullable=True),
        sa.Column("exam_month", sa.String(length=7), nullable=True),
        sa.Column("repeat_candidate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_spreadsheet_rows_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_spreadsheet_rows_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spreadsheet_rows")),
    )
    op.create_index(op.f("ix_spreadsheet_rows_case_id"), "spreadsheet_rows", ["case_id"])
    op.create_index(
        "ix_spreadsheet_rows_month_bucket", "spreadsheet_rows", ["exam_month", "bucket"]
    )


def downgrade() -> None:
    op.drop_index("ix_spreadsheet_rows_month_bucket", table_name="spreadsheet_rows")
    op.drop_index(op.f("ix_spreadsheet_rows_case_id"), table_name="spreadsheet_rows")

    op.drop_table("spreadsheet_rows")
    op.drop_index("ix_replies_to_created", table_name="replies")
    op.drop_index("ix_replies_state_next", table_name="replies")
    op.drop_index(op.f("ix_replies_case_id"), table_name="replies")

    op.drop_table("replies")
    op.drop_index(op.f("ix_receipts_status"), table_name="receipts")
    op.drop_index(op.f("ix_receipts_sha256"), table_name="receipts")
    op.drop_index(op.f("ix_receipts_message_id"), table_name="receipts")
    op.drop_index("ix_receipts_action_pending", table_name="receipts")

    op.drop_table("receipts")
    op.drop_index(op.f("ix_attachments_message_id"), table_name="attachments")

    op.drop_table("attachments")
    op.drop_index(op.f("ix_messages_sha256"), table_name="messages")
    op.drop_index(op.f("ix_messages_sender"), table_name="messages")
    op.drop_index(op.f("ix_messages_message_id"), table_name="messages")
    op.drop_index("ix_messages_created_kind", table_name="messages")
    op.drop_index(op.f("ix_messages_case_id"), table_name="messages")

    op.drop_table("messages")
    op.drop_index(op.f("ix_audit_events_case_id"), table_name="audit_events")

    op.drop_table("audit_events")
    op.drop_table("users")
    op.drop_table("ref_counters")
    op.drop_table("mailbox_states")
    op.drop_index("ix_cases_status_waiting", table_name="cases")
    op.drop_index(op.f("ix_cases_sender_email"), table_name="cases")
    op.drop_index("ix_cases_role_kind_status", table_name="cases")
    op.drop_index(op.f("ix_cases_nuc"), table_name="cases")
    op.drop_index("ix_cases_assigned_status", table_name="cases")

    op.drop_table("cases")
