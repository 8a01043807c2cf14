"""An IMAP folder as a mail source (imapclient): UIDs, BODY.PEEK[] batches, after actions.

- Security: ``ssl`` (implicit TLS), ``starttls``, or ``none`` (loopback only, checked
  by the configuration). Certificates are verified with the system's trust store
  (``SSL_CERT_FILE`` names another bundle). The password comes from the environment
  variable named by ``password_env``.
- Bookkeeping: mails are named by UID under the folder's UIDVALIDITY; the poller
  asks only for UIDs above the last one received (``since_uid``) and filters out
  those that already have a receipt.
- Fetching uses ``BODY.PEEK[]``, which never sets ``\\Seen``.
- After actions: ``move:FOLDER`` (MOVE, or COPY + ``\\Deleted`` + UID EXPUNGE without
  it; the folder is created when missing), ``flag`` (``\\Flagged``), ``seen``.
- A dropped connection is reopened with a doubling backoff and the operation tried
  again: fetching and the after actions are idempotent.
- :meth:`ImapSource.wait_for_new` waits with IDLE when the server has it.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from intake.config import MailboxConfig
from intake.sources import Fetched, Ref, SourceError

T = TypeVar("T")

# Connection attempts per operation, and the first pause between them (doubling).
CONNECT_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 60.0


def _is_connection_error(exc: BaseException) -> bool:
    from imapclient.exceptions import IMAPClientAbortError

    return isinstance(exc, OSError | IMAPClientAbortError | EOFError)


class ImapSource:
    """One folder of one IMAP account."""

    def __init__(
        self,
        mailbox: MailboxConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.mailbox = mailbox
        self.key = mailbox.key
        self.ssl_context = ssl_context
        # The poller sets this to the highest UID already received.
        self.since_uid = 0
        self._sleep = sleep
        self._client: Any = None
        self._uidvalidity: int | None = None
        self._folders: set[str] = set()
        self.reconnects = 0

    # -- connection ------------------------------------------------------------------

    def _connect(self) -> Any:
        from imapclient import IMAPClient

        box = self.mailbox
        assert box.host is not None
        context = self.ssl_context or ssl.create_default_context()
        client = IMAPClient(
            box.host,
            port=box.imap_port,
            ssl=box.security == "ssl",
            ssl_context=context if box.security == "ssl" else None,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            if box.security == "starttls":
                client.starttls(context)
            client.login(box.username, box.password())
            info = client.select_folder(box.folder)
        except BaseException:
            _quietly_logout(client)
            raise
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def open(self) -> None:
        if self._client is not None:
            return
        delay = BACKOFF_SECONDS
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                self._client = self._connect()
                return
            except Exception as exc:
                if not _is_connection_error(exc) or attempt == CONNECT_ATTEMPTS:
                    raise SourceError(f"{self.key}: {type(exc).__name__}: {exc}") from exc
                self._sleep(delay)
                delay *= 2

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _quietly_logout(client)

    def __enter__(self) -> ImapSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, operation: Callable[[Any], T]) -> T:
        """Run ``operation(client)``; on a dropped connection reconnect and run it again."""
        self.open()
        try:
            return operation(self._client)
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            before = self._uidvalidity
            self.close()
            self.reconnects += 1
            self.open()
            if self._uidvalidity != before:
                raise SourceError(f"{self.key}: UIDVALIDITY changed during the poll") from exc
            try:
                return operation(self._client)
            except Exception as again:
                if _is_connection_error(again):
                    self.close()
                    raise SourceError(f"{self.key}: connection lost: {again}") from again
                raise

    # -- the Source interface ----------------------------------------------------------

    def uidvalidity(self) -> int | None:
        self.open()
        return self._uidvalidity

    def pending(self, known: Callable[[Sequence[Ref]], set[Ref]]) -> list[Ref]:
        since = self.since_uid

        def search(client: Any) -> list[int]:
            criteria = ["UID", f"{since + 1}:*"] if since > 0 else ["ALL"]
            return sorted(int(uid) for uid in client.search(criteria))

        uids = [uid for uid in self._call(search) if uid > since]
        found: list[Ref] = []
        # The known filter is one query per chunk, the chunks keep the IN lists short.
        for start in range(0, len(uids), 1000):
            chunk: list[Ref] = list(uids[start : start + 1000])
            seen = known(chunk)
            found.extend(uid for uid in chunk if uid not in seen)
        return found

    def fetch(self, refs: Sequence[Ref]) -> Iterator[Fetched]:
        uids = [int(r) for r in refs]
        if not uids:
            return
        data = self._call(lambda client: client.fetch(uids, ["BODY.PEEK[]"]))
        for uid in uids:
            item = data.get(uid)
            if item is None:
                # Expunged by someone else since the search.
                continue
            raw = item.get(b"BODY[]")
            if raw is None:
                continue
            yield Fetched(ref=uid, raw=bytes(raw))

    def apply(self, action: str, refs: Iterable[Ref]) -> list[Ref]:
        uids = [int(r) for r in refs]
        if not uids:
            return []
        if action.startswith("move:"):
            folder = action[5:]
            self._call(lambda client: self._move(client, uids, folder))
        elif action == "flag":
            self._call(lambda client: client.add_flags(uids, [b"\\Flagged"], silent=True))
        elif action == "seen":
            self._call(lambda client: client.add_flags(uids, [b"\\Seen"], silent=True))
        else:
            raise ValueError(f"unknown after action {action!r}")
        # A UID already moved or expunged is simply absent: its action is done too.
        return list(uids)

    def _move(self, client: Any, uids: list[int], folder: str) -> None:
        if folder not in self._folders:
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except Exception as exc:  # noqa: BLE001 - created meanwhile by another client
                    if _is_connection_error(exc) or not client.folder_exists(folder):
                        raise
            self._folders.add(folder)
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    # -- waiting for mail ----------------------------------------------------------------

    def has_idle(self) -> bool:
        return bool(self._call(lambda client: client.has_capability("IDLE")))

    def wait_for_new(self, timeout: float, should_stop: Callable[[], bool] | None = None) -> bool:
        """Block until the server announces new mail (IDLE) or ``timeout``; True if it did.

        Returns at once (False) when the server has no IDLE: the caller polls instead.
        The wait is cut in slices so that ``should_stop`` is honoured within a second.
        """
        if not self.mailbox.idle or not self.has_idle():
            return False
        client = self._client
        deadline = time.monotonic() + timeout
        client.idle()
        try:
            while time.monotonic() < deadline:
                if should_stop is not None and should_stop():
                    return False
                responses = client.idle_check(timeout=min(1.0, max(deadline - time.monotonic(), 0)))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return True
            return False
        finally:
            try:
                client.idle_done()
            except (TimeoutError, OSError) as exc:
                self.close()
                raise SourceError(f"{self.key}: connection lost during IDLE: {exc}") from exc


def _quietly_logout(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection is being dropped anyway
        with contextlib.suppress(Exception):
            client.shutdown()
