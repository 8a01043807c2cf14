"""A counting SMTP sink in its own process, for the benchmarks.

``python benchmarks/sink.py PORT COUNT_FILE``: an aiosmtpd server on 127.0.0.1:PORT
that accepts and discards every mail; on SIGTERM it writes how many it accepted to
COUNT_FILE and exits. A real SMTP server is another process: run in the
benchmark's own process, the sink would take the interpreter lock from the code
being measured (and from the floor's client as well).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 Message accepted for delivery"


def main() -> None:
    from aiosmtpd.controller import Controller

    port, count_file = int(sys.argv[1]), Path(sys.argv[2])
    handler = _Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()
    count_file.write_text(str(handler.count), encoding="utf-8")


if __name__ == "__main__":
    main()
