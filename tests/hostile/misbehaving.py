"""A server on 127.0.0.1 that misbehaves in one chosen way, on raw sockets (no HTTP library would)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable

DRIP_INTERVAL = 0.2
CHUNK = b"x" * 65536


class Misbehaving:
    """Each connection gets the behaviour `mode`; `stop()` ends every connection."""

    MODES = ("drip-headers", "drip-body", "stall", "huge-length", "endless-chunks", "garbage-status",
             "redirect-loop", "tls-stall", "endless-metrics")

    def __init__(self, mode: str, tls: ssl.SSLContext | None = None) -> None:
        assert mode in self.MODES, mode
        self.mode = mode
        self.tls = tls
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None or self.mode == "tls-stall" else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.stopped.set()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(5)
            if self.mode == "tls-stall":  # TCP accepted, the ClientHello never answered
                self._wait()
                return
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            self._read_request(connection)
            getattr(self, "_" + self.mode.replace("-", "_"))(connection)
        except OSError:
            pass  # the client gave up: that is the point
        finally:
            connection.close()

    def _wait(self) -> None:
        self.stopped.wait(120)

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk

    def _forever(self, send: Callable[[], None], interval: float = 0.0) -> None:
        while not self.stopped.is_set():
            send()
            if interval:
                time.sleep(interval)

    def _drip_headers(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        self._forever(lambda: connection.sendall(b"a"), DRIP_INTERVAL)

    def _drip_body(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        self._forever(lambda: connection.sendall(b" "), DRIP_INTERVAL)

    def _stall(self, connection: socket.socket) -> None:
        self._wait()

    def _huge_length(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10737418240\r\n\r\n")
        self._forever(lambda: connection.sendall(CHUNK))

    def _endless_chunks(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        self._forever(lambda: connection.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)))

    def _endless_metrics(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n")
        counter = iter(range(10**12))
        lines = lambda: b"".join(b'ai_assistant_requests_total{n="%d"} 1\n' % next(counter) for _ in range(1000))  # noqa: E731
        self._forever(lambda: connection.sendall(b"%x\r\n%s\r\n" % (len(body := lines()), body)))

    def _garbage_status(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 two hundred OK maybe\r\n\x00\xff\xfe garbage\r\n\r\n")

    def _redirect_loop(self, connection: socket.socket) -> None:
        connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: /health\r\nContent-Length: 0\r\n\r\n")
