"""Throwaway real servers for tests and benchmarks: Dovecot IMAP, an SMTP sink, PostgreSQL.

Each launcher is a context manager with ``start()``/``stop()`` (to cut the network
in the middle of a run and bring it back) and needs nothing but the Debian packages
``dovecot-imapd`` and ``postgresql`` and the Python package ``aiosmtpd``. No pytest
here: fixtures wrap these in ``conftest.py``; benchmarks use them directly.
Everything listens on 127.0.0.1 only. The settings come from
``../shared/notes/test-servers.md`` (verified on these machines).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import grp
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import make_url

DOVECOT_BIN = os.environ.get("INTAKE_TEST_DOVECOT", "dovecot")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0, *, open_: bool = True) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections (or refuses them)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                listening = True
        except OSError:
            listening = False
        if listening == open_:
            return
        if time.monotonic() > deadline:
            state = "listening" if open_ else "closed"
            raise TimeoutError(f"port {port} not {state} after {timeout} s")
        time.sleep(0.01)


def _read(path: Path) -> str:
    """The file's text, empty when it does not exist (yet)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0): it has exited for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def _wait_pid_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still alive after {timeout} s")
        time.sleep(0.02)


def _children(pid: int) -> list[int]:
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            found.append(int(stat.split("/")[2]))
    return found


def make_self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o644)
    return cert_path, key_path


def client_ssl_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts exactly the test certificate."""
    return ssl.create_default_context(cafile=str(cert))


class _Server:
    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- Dovecot


class Dovecot(_Server):
    """A private Dovecot IMAP server: passwd-file users, one Maildir each.

    As root, the mail processes run as ``nobody`` and the helpers as the package's
    ``dovecot``/``dovenull`` users; the instance folder is then made under /tmp
    (pytest's own temp folder is closed to other users). Unprivileged, every
    process runs as the current user and nothing is chrooted.
    """

    def __init__(
        self,
        root: Path,
        users: dict[str, str],
        *,
        ssl: bool = False,
        port: int | None = None,
    ) -> None:
        self.privileged = os.geteuid() == 0
        self._own_root = self.privileged
        if self.privileged:
            root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
            root.chmod(0o755)
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.users = dict(users)
        self.ssl = ssl
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.ssl_port = free_port() if ssl else None
        self.cert: Path | None = None
        self.config = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        account = pwd.getpwnam("nobody") if self.privileged else pwd.getpwuid(os.getuid())
        self.mail_uid, self.mail_gid = account.pw_uid, account.pw_gid
        self._pid: int | None = None
        self._write_config(account.pw_name)

    def _write_config(self, account: str) -> None:
        (self.root / "run").mkdir(exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)
        passwd = "".join(f"{user}:{{PLAIN}}{pw}::::::\n" for user, pw in self.users.items())
        (self.root / "passwd").write_text(passwd, encoding="utf-8")
        for user in self.users:
            home = self.home(user)
            home.mkdir(parents=True, exist_ok=True)
            os.chown(home, self.mail_uid, self.mail_gid)
        os.chown(self.root / "home", self.mail_uid, self.mail_gid)
        lines = [
            "protocols = imap",
            "listen = 127.0.0.1",
            f"base_dir = {self.root}/run",
            f"state_dir = {self.root}/state",
            f"log_path = {self.log}",
            f"info_log_path = {self.log}",
            "auth_mechanisms = plain login",
            "disable_plaintext_auth = no",
            "auth_failure_delay = 0",
            "mail_fsync = never",
            "mail_location = maildir:~/Maildir",
            f"first_valid_uid = {min(self.mail_uid, 500)}",
            "namespace inbox {\n  inbox = yes\n}",
            "passdb {\n  driver = passwd-file\n"
            f"  args = scheme=PLAIN username_format=%n {self.root}/passwd\n}}",
            "userdb {\n  driver = static\n"
            f"  args = uid={self.mail_uid} gid={self.mail_gid} home={self.root}/home/%n\n}}",
        ]
        if self.ssl:
            self.cert, key = make_self_signed_cert(self.root / "tls")
            lines += ["ssl = yes", f"ssl_cert = <{self.cert}", f"ssl_key = <{key}"]
        else:
            lines.append("ssl = no")
        imaps_port = self.ssl_port if self.ssl_port else 0
        login = [
            "service imap-login {",
            f"  inet_listener imap {{\n    port = {self.port}\n  }}",
            f"  inet_listener imaps {{\n    port = {imaps_port}\n  }}",
        ]
        if not self.privileged:
            login.append("  chroot =")
            lines += [
                f"default_internal_user = {account}",
                f"default_internal_group = {grp.getgrgid(self.mail_gid).gr_name}",
                f"default_login_user = {account}",
                "service anvil {\n  chroot =\n}",
            ]
        login.append("}")
        lines += login
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def maildir(self, user: str) -> Path:
        """The user's Maildir (INBOX); folders are ``.NAME`` sub-folders of it."""
        return self.home(user) / "Maildir"

    @property
    def running(self) -> bool:
        return self._pid is not None and _pid_alive(self._pid)

    def start(self) -> None:
        if self.running:
            return
        # The daemon keeps inherited pipes open: send its output to a file instead.
        with open(self.root / "start.err", "wb") as err:
            code = subprocess.call([DOVECOT_BIN, "-c", str(self.config)], stdout=err, stderr=err)
        if code != 0:
            errors = (self.root / "start.err").read_text(errors="replace").strip()
            raise RuntimeError(f"dovecot did not start: {errors}\n{self._log_tail()}")
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 10
        # The daemon creates its PID file before it writes the number into it.
        while not (text := _read(pid_file)).strip().isdigit():
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot wrote no PID file\n{self._log_tail()}")
            time.sleep(0.01)
        self._pid = int(text.strip())
        wait_for_port(self.port)
        if self.ssl_port:
            wait_for_port(self.ssl_port)

    def stop(self) -> None:
        """Stop the server and every session (a network cut for clients); wait for the end."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        children = _children(pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        _wait_pid_gone(pid)
        # Sessions may outlive the master for a moment: end them so that clients see
        # the cut now, as they would if the network went down.
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        for child in children:
            _wait_pid_gone(child)

    def close(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def client(self, user: str, *, security: str = "none") -> Any:
        """A logged-in IMAPClient (``security``: none, starttls or ssl)."""
        from imapclient import IMAPClient

        context = client_ssl_context(self.cert) if self.cert else None
        if security == "ssl":
            assert self.ssl_port, "start Dovecot with ssl=True"
            imap = IMAPClient(self.host, port=self.ssl_port, ssl=True, ssl_context=context)
        else:
            imap = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
            if security == "starttls":
                imap.starttls(context)
        imap.login(user, self.users[user])
        return imap

    def append(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        """Put mails in a folder through IMAP (MULTIAPPEND when the list is long)."""
        imap = self.client(user)
        try:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            for start in range(0, len(messages), 200):
                imap.multiappend(folder, messages[start : start + 200])
        finally:
            imap.logout()

    def deliver(self, user: str, messages: list[bytes]) -> list[Path]:
        """Write mails straight into the INBOX Maildir's ``new/`` (fast, for big loads)."""
        maildir = self.maildir(user)
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(maildir / sub, self.mail_uid, self.mail_gid)
        os.chown(maildir, self.mail_uid, self.mail_gid)
        paths = []
        stamp = int(time.time())
        for index, raw in enumerate(messages):
            name = f"{stamp}.M{index}P{os.getpid()}Q{uuid.uuid4().hex[:8]}.intake-test"
            tmp = maildir / "tmp" / name
            tmp.write_bytes(raw)
            os.chown(tmp, self.mail_uid, self.mail_gid)
            final = maildir / "new" / name
            tmp.rename(final)
            paths.append(final)
        return paths


def dovecot(tmp_path: Path, users: dict[str, str] | None = None, ssl: bool = False) -> Dovecot:
    """A started Dovecot with ``users`` (default: accueil and certification)."""
    server = Dovecot(
        tmp_path / "dovecot",
        users or {"accueil": "accueil-pw", "certification": "certification-pw"},
        ssl=ssl,
    )
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


# --------------------------------------------------------------------------- SMTP sink


@dataclass(frozen=True)
class SinkMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    # The client's (host, port): which connection the mail came over.
    peer: tuple[str, int] | None = None


@dataclass
class _SinkHandler:
    owner: SmtpSink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self.owner._accept(envelope, session.peer)


class SmtpSink(_Server):
    """An aiosmtpd server that keeps every mail it is given.

    ``failure`` set to an SMTP reply (``"451 4.3.0 try later"``, ``"550 5.1.1 no"``)
    makes it refuse every DATA until cleared; ``fail_next`` refuses only the next
    ``n`` mails. ``auth`` (user → password) turns on AUTH PLAIN/LOGIN; ``tls``
    ``"starttls"`` or ``"ssl"`` adds TLS with a self-signed certificate (``cert``).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        auth: dict[str, str] | None = None,
        tls: str | None = None,
        cert_dir: Path | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.auth = auth
        self.tls = tls
        self.failure: str | None = None
        self.fail_next = 0
        self._messages: list[SinkMessage] = []
        self._cond = threading.Condition()
        self._controller: Any = None
        self._tmp: str | None = None
        self.cert: Path | None = None
        self._key: Path | None = None
        if tls:
            if cert_dir is None:
                self._tmp = tempfile.mkdtemp(prefix="intake-smtp-")
                cert_dir = Path(self._tmp)
            self.cert, self._key = make_self_signed_cert(cert_dir)

    def _accept(self, envelope: Any, peer: Any = None) -> str:
        with self._cond:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.failure or "451 4.3.0 Temporary failure (test)"
            if self.failure:
                return self.failure
            self._messages.append(
                SinkMessage(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(envelope.content),
                    peer=tuple(peer[:2]) if peer else None,
                )
            )
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[SinkMessage]:
        with self._cond:
            return list(self._messages)

    def clear(self) -> None:
        with self._cond:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[SinkMessage]:
        """Wait until at least ``count`` mails arrived; return them all."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._messages) >= count, timeout)
            return list(self._messages)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        from aiosmtpd.controller import Controller

        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        if self.auth is not None:
            users = self.auth

            def authenticator(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> Any:
                from aiosmtpd.smtp import AuthResult, LoginPassword

                ok = (
                    isinstance(data, LoginPassword)
                    and users.get(data.login.decode()) == data.password.decode()
                )
                # handled=False: aiosmtpd then answers 535 itself; with the default
                # (handled=True) a refused client waits for a reply that never comes.
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticator, auth_require_tls=False)
        if self.tls == "starttls":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert), str(self._key))
            kwargs["tls_context"] = context
        elif self.tls == "ssl":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert), str(self._key))
            kwargs["ssl_context"] = context
        controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port, **kwargs)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening (clients see a refused connection) until ``start()``."""
        if self._controller is None:
            return
        controller, self._controller = self._controller, None
        controller.stop()

    def close(self) -> None:
        self.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def smtp_sink(port: int | None = None, **kwargs: Any) -> SmtpSink:
    """A started SMTP sink on 127.0.0.1 (a free port unless ``port`` is given)."""
    sink = SmtpSink(port, **kwargs)
    sink.start()
    return sink


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bindir() -> Path | None:
    explicit = os.environ.get("INTAKE_TEST_PG_BINDIR")
    if explicit:
        return Path(explicit)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def pg_available() -> str | None:
    """None when a throwaway cluster can be made here, else why not."""
    if os.environ.get("INTAKE_TEST_DATABASE_URL"):
        return None
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        return "no PostgreSQL server binaries (Debian package postgresql) and no INTAKE_TEST_DATABASE_URL"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run initdb"
    return None


class PostgresServer(_Server):
    """A PostgreSQL to make test databases in: a throwaway cluster or an external server.

    With ``INTAKE_TEST_DATABASE_URL`` set (CI), that server is used and every database
    made here is dropped on ``close()``; otherwise a private cluster is created under
    /tmp (owned by ``postgres`` when running as root) and removed on ``close()``.
    """

    def __init__(self, root: Path | None = None, *, external_url: str | None = None) -> None:
        self.external_url = external_url
        self._created: list[str] = []
        self._counter = 0
        self.port = 0
        self.root = self.data = Path("/nonexistent")
        self.bindir = _pg_bindir() or Path("/nonexistent")
        if external_url is None:
            if not (self.bindir / "initdb").exists():
                raise RuntimeError("PostgreSQL server binaries not found")
            self.root = Path(tempfile.mkdtemp(prefix="intake-pg-", dir=root))
            self.root.chmod(0o755)
            self.data = self.root / "data"
            self.port = free_port()
            if os.geteuid() == 0:
                account = pwd.getpwnam("postgres")
                os.chown(self.root, account.pw_uid, account.pw_gid)
            self._pg(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # As root the cluster belongs to the postgres user, which refuses to run as root.
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    @property
    def running(self) -> bool:
        return self.external_url is None and (self.data / "postmaster.pid").exists()

    def start(self) -> None:
        if self.external_url is not None or self.running:
            return
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        log = self.root / "server.log"
        result = self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "start",
            check=False,
        )
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{tail}")

    def stop(self) -> None:
        if self.running:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        if self.external_url is None:
            return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        base = make_url(self.external_url)
        if base.drivername in ("postgres", "postgresql"):
            base = base.set(drivername="postgresql+psycopg")
        return base.set(database=database).render_as_string(hide_password=False)

    def _admin(self) -> Any:
        import psycopg

        admin = make_url(self.external_url or self.url())
        dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(dsn, autocommit=True)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        if name is None:
            self._counter += 1
            name = f"intake_test_{os.getpid()}_{uuid.uuid4().hex[:6]}_{self._counter}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.external_url is not None:
            for name in self._created:
                # Best effort: a database left behind in CI's server is harmless.
                with contextlib.suppress(Exception):
                    self.drop_database(name)
            return
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def postgres_cluster(tmp_path: Path | None = None) -> PostgresServer:
    """A started PostgreSQL: ``INTAKE_TEST_DATABASE_URL``'s server, or a throwaway cluster.

    ``tmp_path`` is not used for the cluster's files when running as root (the
    ``postgres`` user cannot enter pytest's private temp folder); /tmp is.
    """
    external = os.environ.get("INTAKE_TEST_DATABASE_URL")
    root = tmp_path if tmp_path is not None and os.geteuid() != 0 else None
    server = PostgresServer(root, external_url=external)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server
