"""Staff accounts: argon2 passwords, login with lock-out, signed session cookies, roles.

- Passwords are hashed with argon2id (``argon2-cffi``); an unknown name costs the
  same verification as a known one, so timing does not tell which names exist.
- Five failed logins in a row lock the account for fifteen minutes; while locked,
  even the right password is refused (and not checked).
- The session is a cookie signed with the site's secret (``itsdangerous``), holding
  the user's id, a fingerprint of the password hash (changing the password ends
  every session), the CSRF token and the time of login. It is HttpOnly,
  SameSite=Lax, and Secure whenever the site is reached over TLS.
- Roles are ordered: ``lecture`` reads, ``agent`` also acts on cases, ``admin`` also
  manages accounts and templates.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, select

from store import AuditEvent, User, UserRole, utcnow

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
SESSION_MAX_AGE = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
COOKIE_NAME = "intake_session"
SECRET_ENV = "INTAKE_WEB_SECRET"
ROLE_RANK = {UserRole.LECTURE: 1, UserRole.AGENT: 2, UserRole.ADMIN: 3}
ROLES = tuple(r.value for r in UserRole)

_hasher = PasswordHasher()
# Verified against when the name is unknown, so that both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A user account that cannot be created or changed; the message is French."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Le mot de passe doit comporter au moins {MIN_PASSWORD_LENGTH} caractères."
        )


def valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise AccountError("L'identifiant doit faire 1 à 64 caractères, sans espace.")
    return name


def add_user(
    session: Session, name: str, role: str, password: str, *, replace: bool = False
) -> User:
    """Create (or with ``replace`` reset) an account; raises :class:`AccountError`."""
    name = valid_name(name)
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu {role!r} : lecture, agent ou admin.")
    check_password_rules(password)
    user = session.exec(select(User).where(User.name == name)).first()
    if user is not None and not replace:
        raise AccountError(f"Le compte {name!r} existe déjà.")
    if user is None:
        user = User(name=name, role=role, password_hash=hash_password(password))
    else:
        user.role, user.password_hash = role, hash_password(password)
        user.failed_logins, user.locked_until, user.active = 0, None, True
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # "ok", "bad" (unknown name or wrong password), "locked" (now or just now).
    outcome: str


def authenticate(
    session: Session, name: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a login attempt and record its outcome on the account (and in the audit)."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        _audit(session, "auth.failed", name, {"why": "unknown or inactive"})
        return LoginResult(None, "bad")
    if user.locked_until is not None and user.locked_until > now:
        _audit(session, "auth.refused_locked", user.name, {})
        return LoginResult(None, "locked")
    if _verify(user.password_hash, password):
        user.failed_logins, user.locked_until = 0, None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        _audit(session, "auth.login", user.name, {})
        return LoginResult(user, "ok")
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.failed_logins, user.locked_until = 0, now + LOCK_DURATION
        _audit(session, "auth.locked", user.name, {"until": user.locked_until.isoformat()})
        return LoginResult(None, "locked")
    _audit(session, "auth.failed", user.name, {"failed_logins": user.failed_logins})
    return LoginResult(None, "bad")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _audit(session: Session, action: str, actor: str, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(case_id=None, actor=actor[:64] or "?", action=action, detail=detail))


def has_role(user: User, role: str) -> bool:
    return ROLE_RANK.get(UserRole(user.role), 0) >= ROLE_RANK[UserRole(role)]


# -- sessions ---------------------------------------------------------------------


def fingerprint(user: User) -> str:
    """Changes whenever the password does: a session made before a reset stops working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


class SessionCodec:
    """Signs and reads the session cookie's payload."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="intake-web-session")

    def dumps(self, data: dict[str, Any]) -> str:
        return self._serializer.dumps(data)

    def loads(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            data = self._serializer.loads(token, max_age=int(SESSION_MAX_AGE.total_seconds()))
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}


def new_session(user: User | None) -> dict[str, Any]:
    """A fresh session (a new CSRF token every time: login rotates it)."""
    data: dict[str, Any] = {"c": secrets.token_urlsafe(32)}
    if user is not None:
        data.update(u=user.id, p=fingerprint(user), t=int(utcnow().timestamp()))
    return data


def session_user(session: Session, data: dict[str, Any]) -> User | None:
    """The active account a session names, if its password has not changed since."""
    user_id = data.get("u")
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or data.get("p") != fingerprint(user):
        return None
    return user


def site_secret(folder: Path) -> str:
    """``$INTAKE_WEB_SECRET``, else a random secret kept in ``folder/web-secret`` (0600).

    Kept in a file so that sessions survive a restart of ``intake serve``.
    """
    value = os.environ.get(SECRET_ENV)
    if value:
        return value
    path = folder / "web-secret"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process wrote it first: everyone must use that one.
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret
