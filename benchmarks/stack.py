"""Whole stack: gunicorn (2 sync workers) on 127.0.0.1 and a plain-Python load generator, one
request per connection, that always stops by itself (a request count and a time cap per
slice). Endpoints are interleaved in rounds: see "Method" in docs/performance.md.
"""

from __future__ import annotations

import http.client
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.report import authorization

WORKERS = 2
ENDPOINTS = ("none", "token", "apikey")  # (a), (b) and (c)


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, float]:
    """One GET on a new connection: (status, seconds); status 0 if the connection failed."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, 0.0
    finally:
        connection.close()


def burst(port: int, path: str, headers: dict[str, str], requests: int, config: dict) -> dict:
    """`requests` requests from `config["concurrency"]` threads, or fewer at the time cap."""
    deadline = time.monotonic() + config["slice_cap_seconds"]

    def one(_: int) -> tuple[int, float] | None:
        return get(port, path, headers) if time.monotonic() < deadline else None

    started = time.perf_counter()
    with ThreadPoolExecutor(config["concurrency"]) as threads:
        sent = [outcome for outcome in threads.map(one, range(requests)) if outcome]
    seconds = time.perf_counter() - started
    latencies = [took for status, took in sent if status == 200]
    return {
        "latencies": latencies,
        "errors": len(sent) - len(latencies),
        "rps": len(latencies) / seconds,
    }


def measure(env: dict[str, str], credentials: dict[str, str], config: dict) -> dict:
    """Start gunicorn on the project's WSGI entry point, run the rounds, stop it."""
    endpoints = {}
    for name in ENDPOINTS:
        header = authorization(name, credentials)
        endpoints[name] = (f"/bench/{name}/", {"Authorization": header} if header else {})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = f"--workers {WORKERS} --worker-class sync --log-level warning --timeout 30"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", *options.split()]
    command += ["--bind", f"127.0.0.1:{port}"]
    # Gunicorn reads the shipped gunicorn.conf.py from the project root, as production does:
    # its access log (key redaction included) is part of what every endpoint costs; the
    # lines themselves go nowhere.
    server = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while get(port, "/bench/none/", {})[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start answering within 30 seconds")
            time.sleep(0.2)
        for name, (path, headers) in endpoints.items():
            if burst(port, path, headers, config["warmup"], config)["errors"]:
                raise SystemExit(f"whole-stack endpoint {name} does not answer 200")
        slices: dict[str, list[dict]] = {name: [] for name in endpoints}
        rng = random.Random(2)
        for _ in range(config["rounds"]):
            for name in rng.sample(list(endpoints), len(endpoints)):
                path, headers = endpoints[name]
                slices[name].append(burst(port, path, headers, config["requests"], config))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    results = {}
    for name, runs in slices.items():
        latencies = sorted(s for run in runs for s in run["latencies"]) or [float("nan")]
        p50, p99 = (latencies[round(q * (len(latencies) - 1))] * 1000 for q in (0.5, 0.99))
        results[name] = {
            "rps": statistics.median(run["rps"] for run in runs),
            # Against (a) in the same round, then the median: drift between rounds cancels.
            "share": statistics.median(
                run["rps"] / base["rps"] for run, base in zip(runs, slices["none"], strict=True)
            ),
            "p50_ms": p50,
            "p99_ms": p99,
            "requests": sum(len(run["latencies"]) for run in runs),
            "errors": sum(run["errors"] for run in runs),
        }
    return results
