"""SmtpSender against a real aiosmtpd server on 127.0.0.1: delivery and failure classes.

The sink decides by the recipient's local part: ``tempfail`` answers 451 to RCPT,
``reject`` 550, ``datatemp`` 452 after DATA, ``datafail`` 554 after DATA, ``drop``
closes the connection while the message data is being answered, ``slow`` takes
longer than the client's timeout to answer it. The sender ``blocked@`` gets 553 at
MAIL FROM. Everything else is accepted and recorded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from responders.message import Reply, build_bytes, build_message, reply_envelope
from responders.render import RenderedText
from responders.smtp import (
    ConnectionSetupFailure,
    PermanentFailure,
    SmtpSender,
    TemporaryFailure,
    UncertainDelivery,
)

pytestmark = pytest.mark.smtp

INBOX = "accueil@union-prof.asso.fr"


class LoopbackController(Controller):
    """``Controller(handler, hostname="127.0.0.1", port=0)`` that learns its port.

    aiosmtpd 1.4 connects to ``self.port`` once to start the server, which fails
    for port 0; here the real port is read from the bound socket first.
    """

    def __init__(self, handler: Any, port: int = 0, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _create_server(self) -> Any:
        creating = super()._create_server()

        async def bind() -> Any:
            server = await creating
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
            return server

        return bind()


class Sink:
    """An aiosmtpd handler that records messages and misbehaves on request."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.peers: set[tuple[str, int]] = set()
        self.authenticated: list[bool] = []
        self.close_after_data = False

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("blocked@"):
            return "553 5.7.1 sender not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        local = address.split("@")[0]
        if local == "tempfail":
            return "451 4.3.0 mailbox busy, try later"
        if local == "reject":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        locals_ = {rcpt.split("@")[0] for rcpt in envelope.rcpt_tos}
        if "datatemp" in locals_:
            return "452 4.3.1 insufficient storage"
        if "datafail" in locals_:
            return "554 5.7.1 message refused"
        if "drop" in locals_:
            server.transport.close()
            return "250 OK"
        if "slow" in locals_:
            await asyncio.sleep(2)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        self.peers.add(session.peer)
        self.authenticated.append(bool(session.authenticated))
        if self.close_after_data:
            # The server's idle timeout, simulated: the connection goes right after.
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, LoopbackController]]:
    handler = Sink()
    controller = LoopbackController(handler)
    controller.start()
    try:
        yield handler, controller
    finally:
        controller.stop()


def _message(to: str = "elodie.martin@example.fr", sender: str = INBOX, n: int = 0) -> EmailMessage:
    reply = Reply.create(
        "deferral_received",
        RenderedText(f"Votre demande de report n°{n}", f"Bonjour Élodie,\nRéponse n°{n}.\n"),
        to=to,
        from_addr=sender,
        case_ref="UP-2025-000123",
        their_message_id="<their.1@example.fr>",
        their_references="<root@example.fr>",
    )
    return build_message(reply)


def _sender(controller: Controller, **kwargs: Any) -> SmtpSender:
    kwargs.setdefault("timeout", 5)
    return SmtpSender(
        "127.0.0.1",
        controller.port,
        kwargs.pop("security", "none"),
        local_hostname="union-prof.asso.fr",
        **kwargs,
    )


def test_message_is_received_intact(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    msg = _message()
    with _sender(controller) as sender:
        result = sender.send(msg)
    assert result.accepted == ("elodie.martin@example.fr",)
    assert result.response.startswith("250 ")
    assert result.message_id == msg["Message-ID"]
    [(mail_from, rcpts, raw)] = handler.messages
    assert mail_from == INBOX
    assert rcpts == ["elodie.martin@example.fr"]
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert got["Subject"] == "[UP-2025-000123] Votre demande de report n°0"
    assert got["In-Reply-To"] == "<their.1@example.fr>"
    assert got["References"] == "<root@example.fr> <their.1@example.fr>"
    assert got["Auto-Submitted"] == "auto-replied"
    assert got["Message-ID"] == msg["Message-ID"]
    assert isinstance(got, EmailMessage)
    assert got.get_content().replace("\r\n", "\n") == "Bonjour Élodie,\nRéponse n°0.\n"
    assert handler.authenticated == [False]


def test_many_sends_share_one_connection(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    with _sender(controller) as sender:
        results = [sender.send(_message(n=i)) for i in range(25)]
    assert len(handler.messages) == 25
    assert len(handler.peers) == 1
    assert sender.connections_opened == 1
    assert not any(result.reconnected for result in results)


def test_a_dropped_connection_is_reopened_once(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    handler.close_after_data = True
    with _sender(controller) as sender:
        first = sender.send(_message(n=1))
        time.sleep(0.3)
        second = sender.send(_message(n=2))
    assert not first.reconnected and second.reconnected
    assert sender.connections_opened == 2
    assert [raw.count(b"Subject:") for _, _, raw in handler.messages] == [1, 1]
    assert len(handler.messages) == 2 and len(handler.peers) == 2


def test_4xx_is_temporary_and_5xx_permanent(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    with _sender(controller) as sender:
        with pytest.raises(TemporaryFailure) as temp:
            sender.send(_message(to="tempfail@example.fr"))
        assert temp.value.code == 451 and temp.value.stage == "RCPT TO"
        assert not isinstance(temp.value, PermanentFailure)
        with pytest.raises(PermanentFailure) as perm:
            sender.send(_message(to="reject@example.fr"))
        assert perm.value.code == 550 and "no such user" in str(perm.value)
        with pytest.raises(PermanentFailure) as refused_sender:
            sender.send(_message(sender="blocked@union-prof.asso.fr"))
        assert refused_sender.value.code == 553 and refused_sender.value.stage == "MAIL FROM"
        with pytest.raises(TemporaryFailure) as data_temp:
            sender.send(_message(to="datatemp@example.fr"))
        assert data_temp.value.code == 452 and data_temp.value.stage == "DATA"
        with pytest.raises(PermanentFailure) as data_perm:
            sender.send(_message(to="datafail@example.fr"))
        assert data_perm.value.code == 554
        # After every refusal the same connection still delivers.
        sender.send(_message())
    assert sender.connections_opened == 1
    assert len(handler.messages) == 1


def test_some_recipients_refused_is_a_success_that_says_so(
    sink: tuple[Sink, LoopbackController],
) -> None:
    handler, controller = sink
    msg = _message(to="elodie.martin@example.fr, reject@example.fr")
    with _sender(controller) as sender:
        result = sender.send(msg)
    assert result.accepted == ("elodie.martin@example.fr",)
    assert [(addr, code) for addr, code, _ in result.refused] == [("reject@example.fr", 550)]
    assert handler.messages[0][1] == ["elodie.martin@example.fr"]


def test_non_ascii_recipient_uses_smtputf8(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    with _sender(controller) as sender:
        sender.send(_message(to="élodie@exemple.fr"))
    [(_, rcpts, raw)] = handler.messages
    assert rcpts == ["élodie@exemple.fr"]
    assert "élodie@exemple.fr".encode() in raw


def test_stopped_sink_is_a_temporary_failure() -> None:
    handler = Sink()
    controller = LoopbackController(handler)
    controller.start()
    sender = _sender(controller)
    sender.send(_message(n=1))
    port = controller.port
    controller.stop()
    with pytest.raises(TemporaryFailure) as info:
        sender.send(_message(n=2))
    assert isinstance(info.value, ConnectionSetupFailure)
    assert "ConnectionRefusedError" in str(info.value)
    # The sink comes back on the same port: the next send goes through.
    again = LoopbackController(handler, port=port)
    again.start()
    try:
        sender.send(_message(n=3))
    finally:
        sender.close()
        again.stop()
    subjects = [
        email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
        for _, _, raw in handler.messages
    ]
    assert subjects == [
        "[UP-2025-000123] Votre demande de report n°1",
        "[UP-2025-000123] Votre demande de report n°3",
    ]


def test_connection_lost_during_data_is_uncertain(sink: tuple[Sink, LoopbackController]) -> None:
    _, controller = sink
    with _sender(controller) as sender, pytest.raises(UncertainDelivery) as info:
        sender.send(_message(to="drop@example.fr"))
    assert info.value.stage == "DATA"
    assert not isinstance(info.value, TemporaryFailure | PermanentFailure)


def test_timeout_waiting_for_the_data_answer_is_uncertain(
    sink: tuple[Sink, LoopbackController],
) -> None:
    _, controller = sink
    with _sender(controller, timeout=0.5) as sender, pytest.raises(UncertainDelivery):
        sender.send(_message(to="slow@example.fr"))


def test_refused_and_silent_servers_are_temporary() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ConnectionSetupFailure, match="Refused"):
        SmtpSender("127.0.0.1", port, "none", timeout=2).send(_message())
    # A server that accepts the TCP connection but never greets.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        with pytest.raises(ConnectionSetupFailure) as info:
            SmtpSender("127.0.0.1", silent.getsockname()[1], "none", timeout=0.3).connect()
        assert time.monotonic() - started < 3
        assert isinstance(info.value, TemporaryFailure)


def test_plain_smtp_is_refused_off_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SmtpSender("smtp.example.org", 25, "none")


# --- TLS and AUTH ------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with ``cryptography``."""
    x509 = pytest.importorskip("cryptography.x509", reason="cryptography is not installed")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login,
        auth_data.password,
    ) == (b"accueil", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_sink(certificate: tuple[Path, Path]) -> Iterator[tuple[Sink, LoopbackController]]:
    handler = Sink()
    controller = LoopbackController(
        handler,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        yield handler, controller
    finally:
        controller.stop()


def test_starttls_with_login(
    tls_sink: tuple[Sink, LoopbackController], certificate: tuple[Path, Path]
) -> None:
    handler, controller = tls_sink
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with _sender(
        controller, security="starttls", ssl_context=trust, username="accueil", password="s3cret"
    ) as sender:
        sender.send(_message(n=1))
        sender.send(_message(n=2))
    assert len(handler.messages) == 2
    assert handler.authenticated == [True, True]


def test_starttls_without_username_sends_no_auth(
    tls_sink: tuple[Sink, LoopbackController], certificate: tuple[Path, Path]
) -> None:
    handler, controller = tls_sink
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with _sender(controller, security="starttls", ssl_context=trust) as sender:
        sender.send(_message())
    assert handler.authenticated == [False]


def test_wrong_password_and_untrusted_certificate_are_setup_failures(
    tls_sink: tuple[Sink, LoopbackController], certificate: tuple[Path, Path]
) -> None:
    handler, controller = tls_sink
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with pytest.raises(ConnectionSetupFailure) as info:
        _sender(
            controller, security="starttls", ssl_context=trust, username="accueil", password="x"
        ).connect()
    assert info.value.code == 535
    with pytest.raises(ConnectionSetupFailure, match="CERTIFICATE_VERIFY_FAILED"):
        # The default context does not trust a self-signed certificate.
        _sender(controller, security="starttls").connect()
    # Without TLS this server answers 530 to MAIL FROM: our setup is wrong, not the
    # message, so it is not a permanent failure of the reply.
    with _sender(controller) as sender, pytest.raises(ConnectionSetupFailure) as plain:
        sender.send(_message())
    assert plain.value.code == 530 and plain.value.stage == "MAIL FROM"
    assert handler.messages == []


def test_starttls_required_but_not_offered(sink: tuple[Sink, LoopbackController]) -> None:
    _, controller = sink
    with pytest.raises(ConnectionSetupFailure, match="does not offer STARTTLS"):
        _sender(controller, security="starttls").connect()


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    handler = Sink()
    controller = LoopbackController(handler, ssl_context=_server_context(certificate))
    controller.start()
    try:
        trust = ssl.create_default_context(cafile=str(certificate[0]))
        with _sender(controller, security="ssl", ssl_context=trust) as sender:
            sender.send(_message())
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_non_ascii_password_is_a_clear_setup_failure(
    tls_sink: tuple[Sink, LoopbackController], certificate: tuple[Path, Path]
) -> None:
    _, controller = tls_sink
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    sender = _sender(
        controller, security="starttls", ssl_context=trust, username="accueil", password="sécret"
    )
    with pytest.raises(ConnectionSetupFailure, match="non-ASCII"):
        sender.connect()


def test_send_bytes_delivers_build_bytes_unchanged(sink: tuple[Sink, LoopbackController]) -> None:
    handler, controller = sink
    replies = [
        Reply.create(
            "general_ack",
            RenderedText("Accusé de réception", f"Bonjour,\n.\nLigne {i} é\n"),
            to=f"Élodie Martin <c{i}@example.fr>",
            from_addr=INBOX,
            case_ref=f"UP-2025-{i:06d}",
        )
        for i in range(10)
    ]
    with _sender(controller) as sender:
        for reply in replies:
            data = build_bytes(reply)
            from_addr, recipients = reply_envelope(reply)
            result = sender.send_bytes(data, from_addr, recipients, reply.message_id)
            assert result.message_id == reply.message_id
            assert result.accepted == (recipients[0],)
    assert sender.connections_opened == 1
    for reply, (mail_from, rcpts, raw) in zip(replies, handler.messages, strict=True):
        assert raw == build_bytes(reply, date=_date_of(raw))
        assert mail_from == INBOX and rcpts == reply_envelope(reply)[1]


def _date_of(raw: bytes) -> dt.datetime:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return parsed["Date"].datetime  # type: ignore[no-any-return]
