"""Finding a Redis for the demo: ``REDIS_URL``, else a private ``redis-server``, else an
embedded in-process one (fakeredis speaking the Redis protocol over TCP, demo only)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A private ``redis-server`` process on a free port, without persistence unless asked."""

    def __init__(self, appendonly: bool = False, binary: str | None = None):
        binary = binary or shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="esc-redis-")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes" if appendonly else "no", "--daemonize", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        _wait_for(self.client, lambda: self.proc.poll() is None)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class EmbeddedRedis:
    """fakeredis served over TCP in a thread: enough for the demo, not for production."""

    def __init__(self) -> None:
        from fakeredis import TcpFakeServer

        self.port = free_port()
        self.server = TcpFakeServer(("127.0.0.1", self.port), server_type="redis")
        self.thread = threading.Thread(target=self.server.serve_forever, name="embedded-redis", daemon=True)
        self.thread.start()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        _wait_for(self.client, self.thread.is_alive)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait_for(client: redis.Redis, alive: object) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline or not alive():  # type: ignore[operator]
                raise
            time.sleep(0.05)


@dataclass
class Broker:
    url: str
    how: str  # "REDIS_URL" | "redis-server" | "embedded"
    _owned: object | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._owned is not None:
            self._owned.stop()  # type: ignore[attr-defined]


def find_broker(redis_url: str | None) -> Broker:
    """The Redis the demo will use, started if need be."""
    if redis_url:
        return Broker(redis_url, "REDIS_URL")
    if shutil.which("redis-server"):
        server = RedisServer()
        return Broker(server.url, "redis-server", server)
    embedded = EmbeddedRedis()
    return Broker(embedded.url, "embedded", embedded)
