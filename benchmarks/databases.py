"""The bench's own databases: one per key count, created and dropped by `benchmarks.run`."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB_NAME = "keyportal_bench"
BENCH_CACHE_PREFIX = "keyportal-bench"  # benchmarks/settings.py's KEY_PREFIX
# One throwaway SECRET_KEY per run: the key digests' pepper derives from it, so every
# process of the run (seeding, measuring, gunicorn) must share it.
_SECRET_KEY = "bench-" + secrets.token_urlsafe(32)


def child_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of every bench process: bench settings, never the dev database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "PYTEST_VERSION",
            "DJANGO_SETTINGS_MODULE",
            "BENCH_LARGE_DATABASE_URL",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        BENCH_DATABASE_URL=database_url,
        BENCH_REDIS_URL=redis_url,
        SECRET_KEY=_SECRET_KEY,
        DEBUG="0",
        PYTHONPATH=str(ROOT),
    )
    return env


class SqliteBench:
    """One SQLite file per key count, in a temporary directory removed at the end."""

    versions: dict[str, str] = {}

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="keyportal-bench-"))

    def path(self, count: int) -> Path:
        return self.directory / f"bench-{count}.sqlite3"

    def create(self, count: int) -> None:
        pass  # `migrate` creates the file

    def copy(self, source: int, target: int) -> None:
        shutil.copyfile(self.path(source), self.path(target))

    def env(self, count: int, large: int | None = None) -> dict[str, str]:
        env = child_env(f"sqlite:///{self.path(count)}", "")
        if large is not None:
            env["BENCH_LARGE_DATABASE_URL"] = f"sqlite:///{self.path(large)}"
        return env

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresBench:
    """`keyportal_bench_<count>` databases on DATABASE_URL's server, dropped at the end.

    The cache is REDIS_URL's database, under the `keyportal-bench` key prefix only.
    """

    def __init__(self) -> None:
        import psycopg
        import redis

        self.source = urlsplit(os.environ["DATABASE_URL"])
        self.admin_url = urlunsplit(self.source._replace(scheme="postgresql", path="/postgres"))
        self.names: list[str] = []
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            server = admin.execute("SHOW server_version").fetchone()[0]
        self.versions = {"PostgreSQL": server, "Redis": self.redis.info("server")["redis_version"]}

    def name(self, count: int) -> str:
        name = f"{BENCH_DB_NAME}_{count}"
        if name == self.source.path.lstrip("/"):
            raise SystemExit(f"DATABASE_URL names {name}, a bench database: refusing to drop it")
        return name

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    def create(self, count: int) -> None:
        name = self.name(count)
        self._admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        self.names.append(name)

    def copy(self, source: int, target: int) -> None:
        name = self.name(target)
        template = self.name(source)
        self._admin(
            f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template}"
        )
        self.names.append(name)

    def env(self, count: int, large: int | None = None) -> dict[str, str]:
        env = child_env(self.url(count), os.environ["REDIS_URL"])
        if large is not None:
            env["BENCH_LARGE_DATABASE_URL"] = self.url(large)
        return env

    def url(self, count: int) -> str:
        return urlunsplit(self.source._replace(path=f"/{self.name(count)}"))

    def close(self) -> None:
        for key in self.redis.scan_iter(match=f"{BENCH_CACHE_PREFIX}:*", count=1000):
            self.redis.delete(key)
        self._admin(*(f"DROP DATABASE IF EXISTS {name}" for name in self.names))
