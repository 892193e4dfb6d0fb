"""A loopback TCP server that accepts connections, reads what comes and never answers.

For the timeout tests: a server that is up but silent is what a hung API or a black-holing proxy
looks like, and only a real socket shows how the client's read timeout and its retries behave.
Each request it receives is counted (a request is a header block ending in a blank line), so a test
can assert how many attempts the client made.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SilentServer:
    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)  # so the accept loop notices close() promptly
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.requests: list[bytes] = []  # the request line of every request received
        self._lock = threading.Condition()
        self._open: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        buffer = b""
        conn.settimeout(0.05)
        while not self._stopped.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return  # the client gave up and closed: nothing to answer
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                with self._lock:
                    self.requests.append(head.split(b"\r\n", 1)[0])
                    self._lock.notify_all()

    def received(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """The request lines once ``count`` have arrived (the reader thread may lag the client)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._sock.close()
        self._thread.join(5)
        with self._lock:
            for conn in self._open:
                conn.close()


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
