"""Benchmark API-key authentication against its peers, side by side, in one run.

    python -m benchmarks.run             # `make bench`: writes docs/performance.md
    python -m benchmarks.run --quick     # fewer rounds, 1,000 and 10,000 keys; prints only
    python -m benchmarks.run --smoke     # in `make test`: every endpoint and count, no timing

SQLite with the local-memory cache always; PostgreSQL with Redis as well when `DATABASE_URL`
and `REDIS_URL` are set. A run only touches databases of its own, one per key count, dropped
at the end: SQLite files in a temporary directory, or `keyportal_bench_<run>_<keys>` on
DATABASE_URL's server; on Redis, keys under `keyportal-bench-<run>:`, deleted at the end.
Every run checks the targets and exits non-zero if a count target (queries, cache calls, no
I/O for a malformed key) is missed; timings never fail it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchmarks import report, stack

ROOT = Path(__file__).resolve().parent.parent
RUN = secrets.token_hex(4)  # names this run's databases and cache keys
SECRET_KEY = f"bench-{secrets.token_urlsafe(32)}"  # the key digests' pepper derives from it
# fmt: off
PROFILES: dict[str, dict[str, Any]] = {
    "full": {"keys": [1_000, 1_000_000], "passes": 3,
             "inprocess": {"warmup": 300, "rounds": 140, "batch": 10},  # rounds per pass
             "stack": {"warmup": 100, "rounds": 15, "requests": 200, "concurrency": 4,
                       "slice_cap_seconds": 10}},
    "quick": {"keys": [1_000, 10_000], "passes": 1,
              "inprocess": {"warmup": 100, "rounds": 60, "batch": 10},
              "stack": {"warmup": 50, "rounds": 3, "requests": 200, "concurrency": 4,
                        "slice_cap_seconds": 5}},
    # Every endpoint, database and count, briefly: that nothing has rotted, not timings.
    "smoke": {"keys": [50, 100], "passes": 1,
              "inprocess": {"warmup": 2, "rounds": 3, "batch": 2}, "stack": None},
}
# fmt: on


class SqliteBench:
    """One SQLite file per key count, in a temporary directory removed at the end."""

    versions: dict[str, str] = {}
    redis_url = ""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="keyportal-bench-"))

    def url(self, count: int) -> str:
        return f"sqlite:///{self.path(count)}"

    def path(self, count: int) -> Path:
        return self.directory / f"bench-{count}.sqlite3"

    def create(self, count: int, copy_of: int | None) -> None:
        if copy_of is not None:  # else `migrate` creates the file
            shutil.copyfile(self.path(copy_of), self.path(count))

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresBench:
    """This run's databases on DATABASE_URL's server, its cache keys on REDIS_URL's."""

    def __init__(self) -> None:
        import redis

        self.source = urlsplit(os.environ["DATABASE_URL"])
        self.created: list[str] = []
        self.redis_url = os.environ["REDIS_URL"]
        self.redis = redis.Redis.from_url(self.redis_url)
        server = self.admin("SHOW server_version")[0]
        self.versions = {"PostgreSQL": server, "Redis": self.redis.info("server")["redis_version"]}

    def admin(self, statement: str) -> Any:
        import psycopg

        url = urlunsplit(self.source._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(url, autocommit=True) as admin:
            cursor = admin.execute(statement)
            return cursor.fetchone() if cursor.description else None

    def url(self, count: int) -> str:
        return urlunsplit(self.source._replace(path=f"/keyportal_bench_{RUN}_{count}"))

    def create(self, count: int, copy_of: int | None) -> None:
        template = "" if copy_of is None else f" TEMPLATE keyportal_bench_{RUN}_{copy_of}"
        self.admin(f"CREATE DATABASE keyportal_bench_{RUN}_{count}{template}")
        self.created.append(f"keyportal_bench_{RUN}_{count}")

    def close(self) -> None:
        for key in self.redis.scan_iter(match=f"keyportal-bench-{RUN}:*", count=1000):
            self.redis.delete(key)
        for name in self.created:
            self.admin(f"DROP DATABASE IF EXISTS {name}")


def child_env(bench: Any, count: int, large: int | None = None) -> dict[str, str]:
    """The environment of a bench process: the shipped settings, on `count`'s database (and
    `large`'s), the run's cache keys and a key pepper every process of the run shares."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DATABASE_URL=bench.url(count),
        REDIS_URL=bench.redis_url,  # empty on SQLite: the local-memory cache, as shipped
        CACHE_KEY_PREFIX=f"keyportal-bench-{RUN}",
        SECRET_KEY=SECRET_KEY,
        JWT_SIGNING_KEY=f"{SECRET_KEY}-jwt",  # required without DEBUG; no token is signed here
        DEBUG="0",
        PYTHONPATH=str(ROOT),
    )
    if large is not None:
        env["BENCH_LARGE_DATABASE_URL"] = bench.url(large)
    return env


def child(command: str, env: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m benchmarks.inprocess <command>`, config on stdin; return its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.inprocess", command],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmarks.inprocess {command} failed (exit {done.returncode})")
    return json.loads(done.stdout)


def pool(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """One key count's figures over the rounds of every pass (the counts are the first's)."""
    samples = {n: [t for p in passes for t in p["samples"][n]] for n in passes[0]["samples"]}
    pooled = {
        "endpoints": report.summarize(samples, passes[0]["counts"]),
        "refusals": passes[0]["refusals"],
    }
    if "interval_write" in passes[0]:
        pooled["interval_write"] = {
            "write": [t for p in passes for t in p["interval_write"]["write"]],
            "steady": [t for p in passes for t in p["interval_write"]["steady"]],
            "last_used_only": [t for p in passes for t in p["interval_write"]["last_used_only"]],
            "counts": passes[0]["interval_write"]["counts"],
        }
    return pooled


def run_backend(name: str, profile: dict[str, Any], say: Callable) -> dict[str, Any]:
    """Seed both key counts, measure them side by side in every pass, then the whole stack."""
    say(f"== {report.BACKENDS[name]}")
    bench = SqliteBench() if name == "sqlite" else PostgresBench()
    small, large = profile["keys"]
    try:
        seeding, credentials = {}, {}
        for copy_of, count in ((None, small), (small, large)):  # the larger one topped up
            bench.create(count, copy_of)
            config = {"keys": count, "new": copy_of is None}
            seeded = child("seed", child_env(bench, count), config)
            credentials = credentials or seeded["credentials"]
            seeding[count] = seeded["seconds"]
            say(f"   {count:,} keys of each kind seeded in {seeded['seconds']} s")
        config = {**profile["inprocess"], "credentials": credentials}
        passes = []
        for n in range(profile["passes"]):
            say(f"   pass {n + 1}/{profile['passes']}: {small:,} and {large:,} keys")
            passes.append(child("measure", child_env(bench, small, large), config))
        # (c)'s added cost at the larger key count over the smaller, per pass: both ran in
        # the same process and rounds, so the machine's drift and the process's speed cancel.
        scale = [
            pool([p["large"]])["endpoints"]["apikey"]["added_us"]
            / pool([p["default"]])["endpoints"]["apikey"]["added_us"]
            for p in passes
        ]
        result = {
            "versions": bench.versions,
            "seeding": seeding,
            "in_process": {
                small: pool([p["default"] for p in passes]),
                large: pool([p["large"] for p in passes]),
            },
            "scale": {"small": small, "large": large, "passes": scale},
        }
        result["scale"]["ratio"] = statistics.median(scale)
        if name == "postgres":
            # Not the shipped setting: what CONN_HEALTH_CHECKS' `SELECT 1` costs per request.
            say(f"   extra: {large:,} keys, CONN_HEALTH_CHECKS off")
            env = {**child_env(bench, large), "BENCH_CONN_HEALTH_CHECKS": "0"}
            result["no_health_checks"] = pool([child("measure", env, config)["default"]])
        if profile["stack"]:
            say(f"== {report.BACKENDS[name]}: whole stack (gunicorn, {stack.WORKERS} workers)")
            env = child_env(bench, large)
            result["stack"] = stack.measure(env, credentials, profile["stack"])
            result["stack_keys"] = large
        return result
    finally:
        bench.close()


def latest_run(argv: list[str], profile: dict, results: dict, minutes: float, load: list) -> str:
    """docs/performance.md's "Latest run": when, where, how, with what."""
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    services = ""
    if "postgres" in results:
        db, cache = urlsplit(os.environ["DATABASE_URL"]), urlsplit(os.environ["REDIS_URL"])
        services = (
            f" with `DATABASE_URL` (PostgreSQL at {db.hostname}:{db.port or 5432}) and"
            f" `REDIS_URL` (Redis at {cache.hostname}:{cache.port or 6379}{cache.path}) set"
        )
    installed = {d.metadata["Name"].lower(): d.version for d in metadata.distributions()}
    packages = ("Django", "djangorestframework", "djangorestframework-api-key", "psycopg",
                "redis", "hiredis", "gunicorn")  # fmt: skip
    inprocess, whole = profile["inprocess"], profile["stack"]
    lines = {
        "Date": f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}; the run took {minutes:.1f} minutes.",
        "Command": f"`{' '.join(['python -m benchmarks.run', *argv])}` (`make bench`){services}.",
        "Machine": f"{cpu[1] if cpu else platform.machine()}, {os.cpu_count()} logical CPUs,"
        f" {memory:.0f} GiB, {platform.system()} {platform.release()}.",
        "Load": f"shared with other work while measuring (load average {load[0]:.2f} before,"
        f" {load[1]:.2f} after): single figures move by 10-20% between runs, ratios less.",
        "Software": f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        + "".join(f"{k} {v}; " for r in results.values() for k, v in r["versions"].items())
        + ", ".join(f"{p} {installed.get(p.lower(), 'not installed')}" for p in packages)
        + ".",
        "Rounds": f"in process, {inprocess['rounds'] * profile['passes']} rounds of"
        f" {inprocess['batch']} requests per endpoint and key count (in {profile['passes']}"
        f" processes, both key counts in each) after {inprocess['warmup']} warm-up requests; "
        + (
            f"whole stack, {whole['rounds']} rounds of {whole['requests']} requests per"
            f" endpoint from {whole['concurrency']} client threads."
            if whole
            else "no whole-stack run."
        ),
    }
    return "\n".join(f"- **{label}**: {text}" for label, text in lines.items())


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer rounds and keys; prints only")
    mode.add_argument("--smoke", action="store_true", help="a few keys and rounds; prints only")
    parser.add_argument("--no-stack", action="store_true", help="skip the gunicorn run")
    args = parser.parse_args()
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.no_stack:
        profile = {**profile, "stack": None}
    backends = ["sqlite"]
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        backends.append("postgres")
    say = (lambda *_: None) if args.smoke else functools.partial(print, flush=True)
    started, load = time.monotonic(), [os.getloadavg()[0]]
    results = {name: run_backend(name, profile, say) for name in backends}
    load.append(os.getloadavg()[0])
    minutes = (time.monotonic() - started) / 60
    # Every run renders the page's blocks, so that the rendering cannot rot either.
    blocks = report.blocks(results)
    blocks["run"] = latest_run(sys.argv[1:], profile, results, minutes, load)
    say(blocks["results"])
    targets = report.targets(results)
    for target in targets:
        if target.counted or not args.smoke:
            print(f"{target.verdict:>12}  {target.target}: {target.measured}")
    if not (args.quick or args.smoke):
        report.write(ROOT / "docs" / "performance.md", blocks)
        print("written to docs/performance.md")
    missed = [t for t in targets if t.counted and t.verdict != "met"]
    if missed:
        raise SystemExit(f"{len(missed)} count target(s) missed")
    if args.smoke:
        print(f"bench smoke run passed in {minutes * 60:.0f} s ({', '.join(backends)})")


if __name__ == "__main__":
    main()
