"""Whole-stack measurement: gunicorn (2 sync workers) on 127.0.0.1 and a bounded load generator.

The generator is plain Python: a few threads, each sending one request per connection with
`http.client` (gunicorn's sync workers close every connection), for a fixed number of
requests per slice with a time cap per slice, so it always stops by itself. Endpoints are
interleaved in rounds like the in-process bench; an endpoint's requests per second is the
median over its slices, its share of (a)'s the median over rounds of its slice's rate over
(a)'s in the same round; its latencies are over all its requests.
"""

from __future__ import annotations

import http.client
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


@dataclass
class Slice:
    """The outcome of one burst of requests at one endpoint."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: Mapping[str, str], port: int) -> subprocess.Popen:
    """Start gunicorn on the project's WSGI entry point and wait until it accepts requests."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "30",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=dict(env))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, _ = request(port, "/bench/none/", {})
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 30 seconds")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def request(port: int, path: str, headers: Mapping[str, str]) -> tuple[int, float]:
    """Send one GET on a new connection; return (status, seconds)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=dict(headers))
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def burst(port: int, path: str, headers: Mapping[str, str], config: Mapping[str, Any]) -> Slice:
    """`config["requests"]` requests from `config["concurrency"]` threads, or until the cap."""
    result = Slice()
    lock = threading.Lock()
    remaining = [config["requests"]]
    deadline = time.monotonic() + config["slice_cap_seconds"]

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                status, seconds = request(port, path, headers)
            except OSError:
                status, seconds = 0, 0.0
            with lock:
                if status == 200:
                    result.latencies.append(seconds)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker) for _ in range(config["concurrency"])]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(
    env: Mapping[str, str],
    endpoints: Mapping[str, tuple[str, dict[str, str]]],
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Run the interleaved rounds against a fresh gunicorn; return per-endpoint figures."""
    port = free_port()
    server = start_gunicorn(env, port)
    try:
        warm = {**config, "requests": config["warmup"]}
        for name, (path, headers) in endpoints.items():
            if burst(port, path, headers, warm).errors:
                raise RuntimeError(f"whole-stack endpoint {name} does not answer 200")
        slices: dict[str, list[Slice]] = {name: [] for name in endpoints}
        rng = random.Random(2)
        for _ in range(config["rounds"]):
            order = list(endpoints)
            rng.shuffle(order)
            for name in order:
                path, headers = endpoints[name]
                slices[name].append(burst(port, path, headers, config))
    finally:
        stop(server)
    results = {}
    for name, runs in slices.items():
        latencies = [s for run in runs for s in run.latencies]
        results[name] = {
            "rps": statistics.median(run.rps for run in runs),
            # Against (a) in the same round, then the median: drift between rounds cancels.
            "share": statistics.median(
                run.rps / base.rps for run, base in zip(runs, slices["none"], strict=True)
            ),
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "requests": len(latencies),
            "errors": sum(run.errors for run in runs),
        }
    return results
