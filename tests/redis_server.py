"""The tests use the same private ``redis-server`` the demo starts (a real server, never fakeredis)."""

from sync.broker import RedisServer, free_port

__all__ = ["RedisServer", "free_port"]
