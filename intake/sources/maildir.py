"""A local Maildir as a mail source (Python's ``mailbox`` module): the embedded default.

Mails are named by their Maildir key (the file name before ``:2,``), which stays the
same when the file moves between ``new/`` and ``cur/`` or changes flags. The after
action either renames the file into a Maildir++ sub-folder (``move:Traités`` gives
``.Traités/cur/``, created on first use), or sets a flag (``flag``: F, ``seen``: S)
and moves it to ``cur/``. Renames are atomic, so a crash leaves a mail in exactly
one place; an action redone on a mail already moved finds it gone and counts it done.
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from intake.sources import Fetched, Ref, SourceError

FLAG_OF_ACTION = {"flag": "F", "seen": "S"}


class MaildirSource:
    """The INBOX of one Maildir folder (its ``new/`` and ``cur/``)."""

    def __init__(self, path: Path, *, key: str | None = None) -> None:
        self.path = Path(path)
        self.key = key or f"maildir:{path}"
        self._box: mailbox.Maildir | None = None

    def open(self) -> None:
        try:
            # create=True: a site that has not received any mail yet is an empty box.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self.path, factory=None, create=True)
        except OSError as exc:
            raise SourceError(f"cannot open Maildir {self.path}: {exc}") from exc

    def close(self) -> None:
        self._box = None

    def __enter__(self) -> MaildirSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def box(self) -> mailbox.Maildir:
        if self._box is None:
            self.open()
        assert self._box is not None
        return self._box

    def uidvalidity(self) -> int | None:
        return None

    def pending(self, known: Callable[[Sequence[Ref]], set[Ref]]) -> list[Ref]:
        try:
            keys = list(self.box.iterkeys())
        except OSError as exc:
            raise SourceError(f"cannot list Maildir {self.path}: {exc}") from exc
        # Delivery order: Maildir names start with the delivery time in seconds.
        keys.sort(key=_delivery_order)
        seen = known(keys)
        return [k for k in keys if k not in seen]

    def fetch(self, refs: Sequence[Ref]) -> Iterator[Fetched]:
        for ref in refs:
            try:
                raw = self.box.get_bytes(str(ref))
            except KeyError:
                # Moved or deleted by someone else since the listing.
                continue
            except OSError as exc:
                raise SourceError(f"cannot read {ref} in {self.path}: {exc}") from exc
            yield Fetched(ref=str(ref), raw=raw)

    def apply(self, action: str, refs: Iterable[Ref]) -> list[Ref]:
        done: list[Ref] = []
        for ref in refs:
            current = self._current_path(str(ref))
            if current is None:
                # Already moved (an action redone after a crash) or deleted.
                done.append(ref)
                continue
            try:
                if action.startswith("move:"):
                    self._move(current, action[5:])
                elif action in FLAG_OF_ACTION:
                    self._flag(current, FLAG_OF_ACTION[action])
                else:
                    raise ValueError(f"unknown after action {action!r}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise SourceError(f"cannot {action} {ref} in {self.path}: {exc}") from exc
            done.append(ref)
        return done

    def _current_path(self, key: str) -> Path | None:
        box = self.box
        try:
            # The relative path of the key ("new/KEY" or "cur/KEY:2,FLAGS"); the
            # public API has no other way to rename a file and keep its key.
            relative = box._lookup(key)  # type: ignore[attr-defined]
        except KeyError:
            return None
        path = self.path / relative
        return path if path.exists() else None

    def _move(self, current: Path, folder: str) -> None:
        name = folder.strip().strip("/").replace("/", ".")
        try:
            target = self.box.get_folder(name)
        except mailbox.NoSuchMailboxError:
            target = self.box.add_folder(name)
        info = current.name.split(":", 1)[1] if ":" in current.name else "2,"
        key = current.name.split(":", 1)[0]
        os.rename(current, Path(target._path) / "cur" / f"{key}:{info}")  # type: ignore[attr-defined]

    def _flag(self, current: Path, flag: str) -> None:
        key, _, info = current.name.partition(":")
        flags = info[2:] if info.startswith("2,") else ""
        if flag not in flags:
            flags = "".join(sorted(flags + flag))
        os.rename(current, self.path / "cur" / f"{key}:2,{flags}")


_MAILDIR_NAME = re.compile(r"(\d+)\.(?:M(\d+))?(?:P\d+)?(?:Q(\d+))?")


def _delivery_order(key: str) -> tuple[int, int, int, str]:
    """Delivery order from a Maildir name: seconds, then microseconds, then counter.

    Names look like ``1717000000.M123456P4242Q7.host``; the numbers are not zero
    padded, so the text order would put ``M999`` after ``M1000``.
    """
    match = _MAILDIR_NAME.match(key)
    if match is None:
        return (0, 0, 0, key)
    seconds, micro, counter = (int(g) if g else 0 for g in match.groups())
    return (seconds, micro, counter, key)


def deliver(path: Path, raw: bytes, key: str | None = None) -> str:
    """Put ``raw`` into the Maildir's ``new/`` (for the demo and tests); return its key.

    With ``key``, the file gets that name, which makes a repeated delivery detectable.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(path, factory=None, create=True)
    if key is None:
        return str(box.add(raw))
    tmp = Path(path) / "tmp" / key
    tmp.write_bytes(raw)
    os.rename(tmp, Path(path) / "new" / key)
    return key
