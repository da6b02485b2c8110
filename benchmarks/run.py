"""Benchmark API-key authentication against its peers, side by side, in one run.

    python -m benchmarks.run                 # what `make bench` runs
    python -m benchmarks.run --quick         # fewer rounds, 1,000 and 10,000 keys
    python -m benchmarks.run --keys 1000,50000 --no-stack   # one or two key counts

SQLite with the local-memory cache always; PostgreSQL with Redis as well when
`DATABASE_URL` and `REDIS_URL` are set. The PostgreSQL run uses its own databases,
`keyportal_bench_<key count>`, on the same server (created and dropped here, never the
development database), and only cache keys under the `keyportal-bench` prefix (deleted at
the end). See `benchmarks.databases`.

Each measurement runs in a fresh child process (`benchmarks.seed`, `benchmarks.inprocess`)
and gunicorn for the whole-stack part (`benchmarks.stack`). The table is printed at the end
and written to docs/performance.md with the machine, the date and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks import inprocess, report, stack
from benchmarks.databases import PostgresBench, SqliteBench

ROOT = Path(__file__).resolve().parent.parent

PROFILES = {
    "full": {
        "inprocess": {"warmup": 300, "rounds": 420, "batch": 10},
        "stack": {
            "warmup": 100,
            "rounds": 15,
            "requests": 200,
            "concurrency": 4,
            "slice_cap_seconds": 10,
        },
        "keys": [1_000, 1_000_000],
        "passes": 3,
    },
    "quick": {
        "inprocess": {"warmup": 100, "rounds": 60, "batch": 10},
        "stack": {
            "warmup": 50,
            "rounds": 3,
            "requests": 200,
            "concurrency": 4,
            "slice_cap_seconds": 5,
        },
        "keys": [1_000, 10_000],
        "passes": 1,
    },
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and keys")
    parser.add_argument(
        "--keys", help="comma-separated key counts (default 1000,1000000; quick 1000,10000)"
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=["sqlite", "postgres"],
        help="repeatable; default sqlite, plus postgres when DATABASE_URL and REDIS_URL are set",
    )
    parser.add_argument("--no-stack", action="store_true", help="skip the gunicorn run")
    parser.add_argument(
        "--output",
        default=str(ROOT / "docs" / "performance.md"),
        help="where to write the report ('-' for nowhere)",
    )
    args = parser.parse_args(argv)
    profile = PROFILES["quick" if args.quick else "full"]
    try:
        args.key_counts = (
            sorted({int(n.replace("_", "")) for n in args.keys.split(",")})
            if args.keys
            else profile["keys"]
        )
    except ValueError:
        parser.error("--keys takes comma-separated whole numbers, e.g. 1000,1000000")
    if any(n < 1 for n in args.key_counts):
        parser.error("--keys must be positive")
    if len(args.key_counts) > 2:
        parser.error("--keys takes one or two key counts (measured side by side)")
    postgres_ready = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    args.backends = args.backend or (["sqlite", "postgres"] if postgres_ready else ["sqlite"])
    if "postgres" in args.backends and not postgres_ready:
        parser.error("--backend postgres needs DATABASE_URL and REDIS_URL")
    args.profile = profile
    return args


def run_child(module: str, env: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m module` with `payload` as JSON on stdin; return its JSON stdout."""
    done = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{module} failed (exit {done.returncode})")
    return json.loads(done.stdout)


def stack_endpoints(credentials: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "none": ("/bench/none/", {}),
        "token": ("/bench/token/", {"Authorization": f"Token {credentials['token']}"}),
        "apikey": ("/bench/apikey/", {"Authorization": f"Bearer {credentials['apikey']}"}),
    }


def seed_all(bench: SqliteBench | PostgresBench, counts: list[int]) -> tuple[dict, dict]:
    """One database per key count, each a copy of the previous one topped up."""
    bench.create(counts[0])
    seeding: dict[int, Any] = {}
    credentials: dict[str, str] = {}
    for previous, count in zip([None, *counts], counts, strict=False):
        if previous is not None:
            bench.copy(previous, count)
        first = previous is None
        seeded = run_child(
            "benchmarks.seed",
            bench.env(count),
            {"keys": count, "migrate": first, "identities": first},
        )
        credentials = credentials or seeded.pop("credentials")
        seeding[count] = seeded
        print(f"   {count:,} keys of each kind seeded in {seeded['seconds']} s", flush=True)
    return seeding, credentials


def run_backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, measure every key count in alternating passes, then the whole stack."""
    print(f"== {name}", flush=True)
    bench = SqliteBench() if name == "sqlite" else PostgresBench()
    counts = args.key_counts
    try:
        seeding, credentials = seed_all(bench, counts)
        passes = args.profile["passes"]
        config = {**args.profile["inprocess"], "credentials": credentials}
        config["rounds"] = max(3, config["rounds"] // passes)
        runs: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
        small, large = counts[0], counts[-1]
        for n in range(passes):
            # Both key counts in one process, in the same rounds (benchmarks/routing.py).
            together = " and ".join(f"{c:,}" for c in counts)
            print(f"   pass {n + 1}/{passes}: {together} keys", flush=True)
            env = bench.env(small, large=large if large != small else None)
            measured = run_child("benchmarks.inprocess", env, config)
            runs[small].append(measured["default"])
            if large != small:
                runs[large].append(measured["large"])
        in_process = {count: merge(passes_of) for count, passes_of in runs.items()}
        for count, measured in in_process.items():
            print(f"-- {name}, {count:,} keys\n{report.console_table(measured)}", flush=True)
        result = {"versions": bench.versions, "seeding": seeding, "in_process": in_process}
        if name == "postgres":
            # Not the shipped setting: what CONN_HEALTH_CHECKS' `SELECT 1` costs each request.
            print(f"   extra: {counts[-1]:,} keys, CONN_HEALTH_CHECKS off", flush=True)
            env = {**bench.env(counts[-1]), "BENCH_CONN_HEALTH_CHECKS": "0"}
            measured = run_child("benchmarks.inprocess", env, config)
            result["no_health_checks"] = merge([measured["default"]])
        result["scale"] = scale(runs) if len(counts) > 1 else None
        if not args.no_stack:
            print(f"== {name}: whole stack (gunicorn, {stack.WORKERS} workers)", flush=True)
            env = bench.env(counts[-1])
            result["stack"] = stack.measure(
                env, stack_endpoints(credentials), args.profile["stack"]
            )
            result["stack_keys"] = counts[-1]
            print(report.console_stack(result["stack"]), flush=True)
        return result
    finally:
        bench.close()


def merge(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the rounds of every pass at one key count (the counts come from the first)."""
    samples = {
        name: [t for p in passes for t in p["samples"][name]] for name in passes[0]["samples"]
    }
    endpoints = inprocess.summarize(samples, passes[0]["counts"])
    return {"endpoints": endpoints, "refusals": passes[0]["refusals"]}


def scale(runs: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """(c)'s added cost at the largest key count over the smallest, per pass; the median.

    Both key counts ran in the same process and the same rounds, so the machine's drift
    and the process's own speed are common to both.
    """
    small, large = min(runs), max(runs)
    ratios = []
    for at_small, at_large in zip(runs[small], runs[large], strict=True):
        cost = [
            inprocess.summarize(r["samples"], r["counts"])["apikey"]["added_us"]
            for r in (at_small, at_large)
        ]
        ratios.append(cost[1] / cost[0])
    return {"small": small, "large": large, "ratio": statistics.median(ratios), "passes": ratios}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.monotonic()
    meta = report.machine()
    meta["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta["command"] = " ".join(["python -m benchmarks.run", *argv])  # what `make bench` runs
    if "postgres" in args.backends:
        database, cache = urlsplit(os.environ["DATABASE_URL"]), urlsplit(os.environ["REDIS_URL"])
        meta["services"] = (
            f" with `DATABASE_URL` (PostgreSQL at {database.hostname}:{database.port or 5432})"
            f" and `REDIS_URL` (Redis at {cache.hostname}:{cache.port or 6379}{cache.path}) set"
        )
    meta["load_before"] = os.getloadavg()
    results = {name: run_backend(name, args) for name in args.backends}
    meta["load_after"] = os.getloadavg()
    meta["minutes"] = (time.monotonic() - started) / 60
    meta["config"] = args.profile
    document = report.document(meta, results)
    print(report.console_targets(results))
    if args.output != "-":
        Path(args.output).write_text(document)
        print(f"written to {args.output}")


if __name__ == "__main__":
    main()
