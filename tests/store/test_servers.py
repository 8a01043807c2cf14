"""The test-server launchers themselves: Dovecot, the SMTP sink and PostgreSQL really work."""

from __future__ import annotations

import smtplib
import ssl

import pytest
from imapclient import IMAPClient
from sqlalchemy import create_engine, text

from tests.servers import Dovecot, PostgresServer, SmtpSink, client_ssl_context, smtp_sink

MAIL = (
    b"From: Jeanne Dupont <jeanne@example.fr>\r\n"
    b"To: accueil@union-prof.asso.fr\r\n"
    b"Subject: =?utf-8?q?Demande_de_report?=\r\n"
    b"Message-ID: <launcher-1@example.fr>\r\n"
    b"\r\n"
    b"Bonjour, je souhaite reporter mon examen.\r\n"
)


@pytest.mark.imap
def test_dovecot_append_then_fetch(imap_server: Dovecot) -> None:
    imap_server.append("accueil", [MAIL])
    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False) as imap:
        imap.login("accueil", "pw-accueil")
        imap.select_folder("INBOX", readonly=True)
        uids = imap.search()
        assert len(uids) == 1
        fetched = imap.fetch(uids, ["BODY.PEEK[]"])
    assert fetched[uids[0]][b"BODY[]"] == MAIL
    # The other user's mailbox is separate.
    other = imap_server.client("certification")
    try:
        assert other.select_folder("INBOX")[b"EXISTS"] == 0
    finally:
        other.logout()


@pytest.mark.imap
def test_dovecot_refuses_wrong_password(imap_server: Dovecot) -> None:
    imap = IMAPClient(imap_server.host, port=imap_server.port, ssl=False)
    with imap, pytest.raises(IMAPClient.Error, match="(?i)auth"):
        imap.login("accueil", "wrong")


@pytest.mark.imap
def test_dovecot_delivered_files_are_seen_and_moves_work(imap_server: Dovecot) -> None:
    imap_server.deliver("accueil", [MAIL, MAIL.replace(b"launcher-1", b"launcher-2")])
    imap = imap_server.client("accueil")
    try:
        imap.select_folder("INBOX")
        uids = imap.search()
        assert len(uids) == 2
        imap.create_folder("Traités")
        imap.move(uids[:1], "Traités")
        assert len(imap.search()) == 1
        imap.select_folder("Traités")
        assert len(imap.search()) == 1
    finally:
        imap.logout()


@pytest.mark.imap
def test_dovecot_stop_cuts_clients_and_start_brings_it_back(imap_server: Dovecot) -> None:
    imap_server.append("accueil", [MAIL])
    imap = imap_server.client("accueil")
    imap.select_folder("INBOX")
    imap_server.stop()
    with pytest.raises((OSError, IMAPClient.Error, IMAPClient.AbortError)):
        imap.noop()
    with pytest.raises(OSError):
        IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=2)
    imap_server.start()
    again = imap_server.client("accueil")
    try:
        again.select_folder("INBOX")
        assert len(again.search()) == 1
    finally:
        again.logout()


@pytest.mark.imap
def test_dovecot_tls_starttls_and_implicit(imap_tls_server: Dovecot) -> None:
    imap_tls_server.append("accueil", [MAIL])
    for security in ("starttls", "ssl"):
        imap = imap_tls_server.client("accueil", security=security)
        try:
            imap.select_folder("INBOX", readonly=True)
            assert len(imap.search()) == 1
        finally:
            imap.logout()
    # A client that does not trust the test certificate is refused.
    assert imap_tls_server.ssl_port is not None
    with pytest.raises(ssl.SSLError):
        IMAPClient(
            imap_tls_server.host,
            port=imap_tls_server.ssl_port,
            ssl=True,
            ssl_context=ssl.create_default_context(),
            timeout=5,
        )


@pytest.mark.smtp
def test_smtp_sink_collects_what_smtplib_sends(smtp_server: SmtpSink) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.sendmail("accueil@union-prof.asso.fr", ["jeanne@example.fr"], MAIL)
    received = smtp_server.wait_for(1)
    assert len(received) == 1
    assert received[0].mail_from == "accueil@union-prof.asso.fr"
    assert received[0].rcpt_tos == ("jeanne@example.fr",)
    assert b"Message-ID: <launcher-1@example.fr>" in received[0].data


@pytest.mark.smtp
def test_smtp_sink_failures_and_restart(smtp_server: SmtpSink) -> None:
    smtp_server.fail_next = 1
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@example.fr", ["b@example.fr"], MAIL)
        assert refused.value.smtp_code == 451
        client.sendmail("a@example.fr", ["b@example.fr"], MAIL)
    assert len(smtp_server.messages) == 1
    smtp_server.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=2)
    smtp_server.start()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.sendmail("a@example.fr", ["b@example.fr"], MAIL)
    assert len(smtp_server.wait_for(2)) == 2


@pytest.mark.smtp
def test_smtp_sink_starttls_with_auth() -> None:
    sink = smtp_sink(auth={"intake": "secret"}, tls="starttls")
    try:
        assert sink.cert is not None
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.starttls(context=client_ssl_context(sink.cert))
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("intake", "wrong")
            client.login("intake", "secret")
            client.sendmail("a@example.fr", ["b@example.fr"], MAIL)
        assert len(sink.wait_for(1)) == 1
    finally:
        sink.close()


@pytest.mark.postgres
def test_postgres_database_is_fresh_and_usable(pg_server: PostgresServer) -> None:
    first = pg_server.create_database()
    second = pg_server.create_database()
    assert first != second
    engine = create_engine(first)
    try:
        with engine.begin() as conn:
            assert (
                conn.execute(
                    text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                ).scalar()
                == 0
            )
            conn.execute(text("CREATE TABLE t (x int)"))
            conn.execute(text("INSERT INTO t VALUES (42)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == 42
            assert "PostgreSQL" in str(conn.execute(text("SELECT version()")).scalar())
    finally:
        engine.dispose()
