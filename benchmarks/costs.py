"""What requests cost in I/O: SQL statements (writes among them) and cache calls.

The one counter behind both tests/apikeys/test_auth_performance.py, which pins the counts,
and the bench, which reports them beside its timings and checks them as targets. It imports
nothing else from `benchmarks`, so the tests use it under their own settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections

# Django's cache API.
CACHE_METHODS = ("get", "set", "add", "incr", "decr", "delete", "get_many", "set_many",
                 "delete_many", "has_key", "touch", "get_or_set")  # fmt: skip
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Cost:
    """What a block of requests cost: SQL statements, writes among them, cache calls."""

    statements: list[str] = field(default_factory=list)
    cache_calls: int = 0

    @property
    def queries(self) -> int:
        return len(self.statements)

    @property
    def writes(self) -> int:
        return sum(sql.lstrip().upper().startswith(WRITES) for sql in self.statements)


@contextmanager
def counting() -> Iterator[Cost]:
    """Count what a block costs: `with counting() as cost: ...`.

    Statements are every statement sent on any database connection, failed ones included.
    Cache calls are calls into the default cache's API (the outermost only) or, on Redis,
    the round trips to the server (every send on a redis-py connection): what costs there.
    """
    cost = Cost()

    def record(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        cost.statements.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        stack.callback(_count_cache_calls(cost))
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(record))
        yield cost


def _count_cache_calls(cost: Cost) -> Callable[[], None]:
    """Count the default cache's calls into `cost` from now on; return what stops it."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        from redis.connection import AbstractConnection

        send = AbstractConnection.send_packed_command

        def counted_send(connection: Any, *args: Any, **kwargs: Any) -> Any:
            cost.cache_calls += 1
            return send(connection, *args, **kwargs)

        AbstractConnection.send_packed_command = counted_send
        return lambda: setattr(AbstractConnection, "send_packed_command", send)

    depth = 0

    def counted(method: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal depth
            cost.cache_calls += depth == 0
            depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth -= 1

        return call

    names = [name for name in CACHE_METHODS if hasattr(cache, name)]
    for name in names:
        setattr(cache, name, counted(getattr(cache, name)))

    def restore() -> None:
        for name in names:
            delattr(cache, name)  # the instance's wrapper: the class's method shows again

    return restore
