"""A loopback HTTP server on 127.0.0.1 that counts who reaches it: for tests that prove nothing leaves the
machine (remote images, diagram renderers). Every accepted connection counts, even one that never sends a request."""

from __future__ import annotations

import http.server
import threading
from types import TracebackType
from typing import Any


class CountingServer:
    """`with CountingServer(body) as server:` serves `body` to every GET at `server.url`; `server.connections`
    counts accepted connections and `server.requests` lists the paths asked for."""

    def __init__(self, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.connections = 0
        self.requests: list[str] = []
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                counter.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            def verify_request(self, *_args: Any) -> bool:
                counter.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
