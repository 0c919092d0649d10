"""What every loopback emulator shares: a WSGI app served on 127.0.0.1 in a daemon thread, stopped cleanly."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class LoopbackServer:
    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def _serve(self, app: Callable[..., Any], handler: type[WSGIRequestHandler], name: str,
               ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler,
                                            ssl_context=ssl_context)
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), name=name,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
