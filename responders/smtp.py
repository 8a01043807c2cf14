"""Send replies over SMTP (smtplib): one held connection, failures classified.

``SmtpSender`` keeps ONE connection for many sends (use it as a context manager, or
call :meth:`SmtpSender.close`). ``send(msg)`` takes an ``EmailMessage``;
``send_bytes(data, from_addr, recipients)`` takes the bytes of
``responders.message.build_bytes`` as they are, which is the fast path. When the held connection turns out to be dropped
(the server's idle timeout, a restart) before the message data is sent, it opens a
new one and tries once more. Every failure is one of the exceptions of
:mod:`responders.sending` (re-exported here):

- ``TemporaryFailure``: 4xx replies, connection refused / reset / timed out before
  the data; ``ConnectionSetupFailure`` (a ``TemporaryFailure``) when connecting,
  TLS or login fails;
- ``PermanentFailure``: 5xx replies, every recipient refused with 5xx;
- ``UncertainDelivery``: the connection was lost once the data was being sent, so
  the server may have accepted it: never resend blind.

The transaction (MAIL, RCPT, DATA) is run step by step rather than with
``smtplib.sendmail`` precisely to know which of these applies. Not thread-safe:
one sender per thread.
"""

from __future__ import annotations

import contextlib
import copy
import io
import ipaddress
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses
from types import TracebackType
from typing import Any, Literal, cast

from responders.sending import (
    ConnectionSetupFailure,
    PermanentFailure,
    SendError,
    SendResult,
    TemporaryFailure,
    UncertainDelivery,
)

__all__ = [
    "ConnectionSetupFailure",
    "PermanentFailure",
    "SendError",
    "SendResult",
    "SmtpSender",
    "TemporaryFailure",
    "UncertainDelivery",
]

Security = Literal["ssl", "starttls", "none"]


class _Dropped(Exception):
    """The held connection is gone and nothing of this message reached the server."""


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def _failure(code: int, reply: bytes | str, stage: str) -> SendError:
    """A server's refusal: 5xx is permanent, anything else (4xx) temporary."""
    cls = PermanentFailure if 500 <= code < 600 else TemporaryFailure
    return cls(_text(reply), code=code, stage=stage)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """The envelope sender (Sender, else From) and recipients (To, Cc, Bcc)."""
    senders = getaddresses(msg.get_all("Sender", []) or msg.get_all("From", []))
    from_addr = senders[0][1] if senders else ""
    fields: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        fields.extend(str(value) for value in msg.get_all(name, []))
    recipients = [addr for _, addr in getaddresses(fields) if addr]
    return from_addr, recipients


def flatten(msg: EmailMessage, international: bool) -> bytes:
    """The message as sent on the wire (CRLF), without its Bcc header."""
    if "Bcc" in msg or "Resent-Bcc" in msg:
        msg = copy.copy(msg)
        del msg["Bcc"]
        del msg["Resent-Bcc"]
    # The policy's type in the stubs is the base class, which hides ``utf8``.
    policy = cast(Any, msg.policy).clone(utf8=True) if international else msg.policy
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=policy).flatten(msg, linesep="\r\n")
    return buffer.getvalue()


class SmtpSender:
    """An SMTP client that holds one connection for many sends."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in ("ssl", "starttls", "none"):
            raise ValueError(f"security must be ssl, starttls or none, not {security!r}")
        if security == "none" and not is_loopback(host):
            # A password or a candidate's mail in clear over the network: refuse.
            raise ValueError('security = "none" is allowed on loopback only')
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        # Without it smtplib asks the system for its FQDN, which can mean a slow DNS
        # lookup; callers usually pass the inbox's domain.
        self.local_hostname = local_hostname
        self._conn: smtplib.SMTP | None = None
        # How many connections this sender opened (tests and the status page).
        self.connections_opened = 0

    def __enter__(self) -> SmtpSender:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _open(self) -> smtplib.SMTP:
        where = f"{self.host}:{self.port}"
        conn: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._context(),
                )
            else:
                conn = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
                if self.security == "starttls":
                    conn.ehlo()
                    if not conn.has_extn("starttls"):
                        raise ConnectionSetupFailure(
                            f"{where} does not offer STARTTLS", stage="STARTTLS"
                        )
                    conn.starttls(context=self._context())
                    conn.ehlo()
            if self.username is not None:
                conn.login(self.username, self.password or "")
        except SendError:
            self._quietly_close(conn)
            raise
        except smtplib.SMTPResponseException as exc:
            # Greeting, EHLO, STARTTLS or AUTH refused with a code.
            self._quietly_close(conn)
            raise ConnectionSetupFailure(
                f"{where}: {_text(exc.smtp_error)}", code=exc.smtp_code, stage="connect"
            ) from exc
        except UnicodeEncodeError as exc:
            # smtplib sends AUTH credentials as ASCII only.
            self._quietly_close(conn)
            raise ConnectionSetupFailure(
                f"{where}: the SMTP user name or password has non-ASCII characters, "
                "which smtplib cannot send",
                stage="AUTH",
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Refused, reset, timed out, TLS handshake or certificate failure, no AUTH.
            self._quietly_close(conn)
            raise ConnectionSetupFailure(
                f"{where}: {type(exc).__name__}: {exc}", stage="connect"
            ) from exc
        self.connections_opened += 1
        return conn

    def connect(self) -> None:
        """Open the connection now (otherwise the first send does)."""
        if self._conn is None:
            self._conn = self._open()

    @staticmethod
    def _quietly_close(conn: smtplib.SMTP | None) -> None:
        if conn is None:
            return
        with contextlib.suppress(OSError):
            conn.close()

    def close(self) -> None:
        """Say QUIT and close; a connection already gone is not an error."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError, smtplib.SMTPException):
            conn.quit()
        self._quietly_close(conn)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._quietly_close(conn)

    @staticmethod
    def _rset(conn: smtplib.SMTP) -> None:
        # After a refusal the connection stays usable for the next message.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            conn.rset()

    def send(self, msg: EmailMessage) -> SendResult:
        """Send ``msg`` to its To/Cc/Bcc from its Sender/From; see the module doc."""
        from_addr, recipients = envelope(msg)
        international = not all(addr.isascii() for addr in (from_addr, *recipients))
        return self.send_bytes(
            flatten(msg, international), from_addr, recipients, msg.get("Message-ID")
        )

    def send_bytes(
        self,
        data: bytes,
        from_addr: str,
        recipients: Sequence[str],
        message_id: str | None = None,
    ) -> SendResult:
        """Send a message already written with CRLF line ends (``build_bytes``).

        The fast path: nothing is parsed or re-encoded. ``message_id`` is only
        copied into the result.
        """
        recipients = [addr for addr in recipients if addr]
        if not recipients:
            raise PermanentFailure("the message has no recipient", stage="envelope")
        international = not all(addr.isascii() for addr in (from_addr, *recipients))
        reconnected = False
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._open()
                reconnected = attempt > 1
            try:
                result = self._transaction(self._conn, from_addr, recipients, data, international)
            except _Dropped as exc:
                self._discard()
                if attempt == 2:
                    raise TemporaryFailure(f"connection lost: {exc}", stage="MAIL FROM") from exc
                continue
            return SendResult(
                message_id=message_id,
                accepted=result.accepted,
                refused=result.refused,
                response=result.response,
                reconnected=reconnected,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(
        self,
        conn: smtplib.SMTP,
        from_addr: str,
        recipients: Sequence[str],
        data: bytes,
        international: bool,
    ) -> SendResult:
        stage = "MAIL FROM"
        try:
            conn.ehlo_or_helo_if_needed()
            options: list[str] = []
            if international:
                if not conn.has_extn("smtputf8"):
                    self._rset(conn)
                    raise PermanentFailure(
                        "non-ASCII address but the server has no SMTPUTF8", stage=stage
                    )
                options += ["SMTPUTF8", "BODY=8BITMIME"]
            elif not data.isascii() and conn.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            if conn.has_extn("size"):
                options.append(f"SIZE={len(data)}")
            code, reply = _mail(conn, from_addr, options, international)
            if code == 421:
                raise _Dropped(f"421 {_text(reply)}")
            if code == 530:
                # "Authentication / STARTTLS required": our settings are wrong, and
                # every message would get the same answer; not this reply's fault.
                self._rset(conn)
                raise ConnectionSetupFailure(_text(reply), code=code, stage=stage)
            if code != 250:
                self._rset(conn)
                raise _failure(code, reply, stage)

            stage = "RCPT TO"
            accepted: list[str] = []
            refused: list[tuple[str, int, str]] = []
            for rcpt in recipients:
                code, reply = _rcpt(conn, rcpt, international)
                if code == 421:
                    raise _Dropped(f"421 {_text(reply)}")
                if code in (250, 251):
                    accepted.append(rcpt)
                else:
                    refused.append((rcpt, code, _text(reply)))
            if not accepted:
                self._rset(conn)
                detail = "; ".join(f"{a}: {c} {r}" for a, c, r in refused)
                if any(400 <= c < 500 for _, c, _ in refused):
                    raise TemporaryFailure(detail, code=refused[0][1], stage=stage)
                raise PermanentFailure(detail, code=refused[0][1], stage=stage)

            stage = "DATA"
            code, reply = conn.data(data)
        except smtplib.SMTPResponseException as exc:
            # DATA refused before the message was sent (smtplib raises for a non-354).
            self._rset(conn)
            raise _failure(exc.smtp_code, exc.smtp_error, stage) from exc
        except (OSError, smtplib.SMTPException) as exc:
            if stage == "DATA":
                self._discard()
                raise UncertainDelivery(
                    f"connection lost while sending the message: {type(exc).__name__}: {exc}",
                    stage=stage,
                ) from exc
            raise _Dropped(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            self._rset(conn)
            raise _failure(code, reply, stage)
        return SendResult(
            message_id=None,
            accepted=tuple(accepted),
            refused=tuple(refused),
            response=f"{code} {_text(reply)}",
        )


# A bare ASCII addr-spec, as our replies' envelopes hold (validated when the reply
# was created): it can be put between angle brackets as it is.
_PLAIN_ADDRESS = re.compile(r"[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-]+")


def _angle(address: str) -> str | None:
    """``<address>`` for a plain address, else None (smtplib then quotes it)."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else None


def _mail(
    conn: smtplib.SMTP, from_addr: str, options: list[str], international: bool
) -> tuple[int, bytes]:
    """MAIL FROM; smtplib's own parsing of the address (``quoteaddr``) is skipped
    for a plain ASCII address, a tenth of a millisecond per reply."""
    quoted = None if international else _angle(from_addr)
    if quoted is None:
        return conn.mail(from_addr, options)
    return conn.docmd("mail", f"FROM:{quoted}{''.join(' ' + o for o in options)}")


def _rcpt(conn: smtplib.SMTP, rcpt: str, international: bool) -> tuple[int, bytes]:
    """RCPT TO, with the same shortcut as :func:`_mail`."""
    quoted = None if international else _angle(rcpt)
    if quoted is None:
        return conn.rcpt(rcpt)
    return conn.docmd("rcpt", f"TO:{quoted}")
