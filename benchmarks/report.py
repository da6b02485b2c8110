"""Turn bench results into tables and a verdict per target of issue 10."""

from __future__ import annotations

import os
import platform
import sqlite3
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

LABELS = {
    "none": "(a) no authentication",
    "token": "(b) DRF `TokenAuthentication`",
    "apikey": "(c) `APIKeyAuthentication`, default throttles, last-used on",
    "apikey-nothrottle": "(c0) `APIKeyAuthentication`, throttles off",
    "drf-api-key": "(d) djangorestframework-api-key `HasAPIKey`",
    "floor": "(e) floor: hand-written SQL through a cursor",
    "floor-prepared": "(f) floor, statement prepared on the server",
}
BACKENDS = {"sqlite": "SQLite + local-memory cache", "postgres": "PostgreSQL + Redis"}


def machine() -> dict[str, Any]:
    """Where the numbers come from: CPU, memory, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    packages = ["Django", "djangorestframework", "djangorestframework-api-key", "psycopg"]
    packages += ["redis", "hiredis", "gunicorn"]
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {name: _version(name) for name in packages},
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def added(measured: dict[str, Any], name: str) -> float:
    return measured["endpoints"][name]["added_us"]


def ratio(measured: dict[str, Any], name: str, reference: str) -> float | None:
    endpoints = measured["endpoints"]
    if name not in endpoints or reference not in endpoints:
        return None
    base = endpoints[reference]["added_us"]
    return endpoints[name]["added_us"] / base if base > 0 else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def endpoint_rows(measured: dict[str, Any]) -> list[list[str]]:
    rows = []
    prepared = "floor-prepared" in measured["endpoints"]
    for name, e in measured["endpoints"].items():
        row = [
            LABELS[name],
            f"{e['median_us']:.0f}",
            f"{e['rps']:,.0f}",
            _fmt(e["queries"], 1),
            _fmt(e["writes"], 1),
            _fmt(e["cache_calls"], 1),
            "-" if name == "none" else f"{e['added_us']:.0f}",
            "-" if name == "none" else _fmt(ratio(measured, name, "token")),
            "-" if name == "none" else _fmt(ratio(measured, name, "floor")),
        ]
        if prepared:
            row.append("-" if name == "none" else _fmt(ratio(measured, name, "floor-prepared")))
        rows.append(row)
    return rows


def endpoint_header(measured: dict[str, Any]) -> list[str]:
    header = ["endpoint", "µs/request", "req/s", "SQL", "writes", "cache calls", "added µs"]
    header += ["added ÷ (b)", "added ÷ (e)"]
    if "floor-prepared" in measured["endpoints"]:
        header.append("added ÷ (f)")
    return header


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def console_table(measured: dict[str, Any]) -> str:
    header, rows = endpoint_header(measured), endpoint_rows(measured)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    refusals = measured["refusals"]
    lines += [f"{label}: {counts}" for label, counts in refusals.items()]
    return "\n".join(["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), *lines])


def stack_rows(result: dict[str, Any]) -> list[list[str]]:
    return [
        [
            LABELS[name],
            f"{r['rps']:,.0f}",
            f"{r['share']:.2f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            f"{r['requests']:,}",
            str(r["errors"]),
        ]
        for name, r in result.items()
    ]


STACK_HEADER = ["endpoint", "req/s", "÷ (a)", "p50 ms", "p99 ms", "requests", "errors"]


def console_stack(result: dict[str, Any]) -> str:
    return markdown_table(STACK_HEADER, stack_rows(result))


# Targets --------------------------------------------------------------------------------


def _per_count(
    backend: dict[str, Any], measure: Callable[[dict[str, Any]], float | None]
) -> list[tuple[int, float | None]]:
    return [(int(count), measure(m)) for count, m in backend["in_process"].items()]


def _verdict(values: list[tuple[int, float | None]], ok: Callable[[float], bool]) -> str:
    if not values or any(v is None for _, v in values):
        return "not measured"
    return "met" if all(ok(v) for _, v in values) else "**missed**"


def _show(values: list[tuple[int, float | None]], digits: int = 2) -> str:
    return "; ".join(f"{_fmt(v, digits)} at {count:,} keys" for count, v in values)


def targets(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`(target, measured, verdict)` rows for every target the bench can check."""
    rows = []
    limits = {"sqlite": 0.6, "postgres": 0.8}
    for name, backend in results.items():
        where = BACKENDS[name]
        values = _per_count(backend, lambda m: ratio(m, "apikey", "token"))
        rows.append(
            (
                f"{where}: (c) adds ≤ {limits[name]} x what (b) adds",
                _show(values),
                _verdict(values, lambda v, n=name: v <= limits[n]),
            )
        )
        values = _per_count(backend, lambda m: ratio(m, "apikey", "drf-api-key"))
        rows.append(
            (f"{where}: (c) adds less than (d)", _show(values), _verdict(values, lambda v: v < 1))
        )
        floor = "floor-prepared" if name == "postgres" else "floor"
        tag = "(f)" if name == "postgres" else "(e)"
        for endpoint, what in (("apikey", "(c), throttles on"), ("apikey-nothrottle", "(c0)")):
            values = _per_count(backend, lambda m, e=endpoint, f=floor: ratio(m, e, f))
            rows.append(
                (
                    f"{where}: {what} adds ≤ 1.5 x what the floor {tag} adds",
                    _show(values),
                    _verdict(values, lambda v: v <= 1.5),
                )
            )
        counts = _per_count(
            backend,
            lambda m: m["endpoints"]["apikey"]["queries"] + m["endpoints"]["apikey"]["writes"],
        )
        rows.append(
            (
                f"{where}: one SQL query and no write per request (steady state)",
                _show(counts, 1) + " (queries + writes)",
                _verdict(counts, lambda v: v == 1),
            )
        )
        calls = _per_count(backend, lambda m: m["endpoints"]["apikey"]["cache_calls"])
        unit = " round trips" if name == "postgres" else " cache calls (no round trip: in process)"
        rows.append(
            (
                f"{where}: both rate-limit windows in one cache call",
                _show(calls, 1) + unit,
                _verdict(calls, lambda v: v <= 1),
            )
        )
        refused = _per_count(
            backend,
            lambda m: sum(c["queries"] + c["cache_calls"] for c in m["refusals"].values()),
        )
        rows.append(
            (
                f"{where}: malformed or bad-checksum key: no query, no cache call",
                _show(refused, 1) + " (queries + cache calls)",
                _verdict(refused, lambda v: v == 0),
            )
        )
        if backend.get("scale"):
            scaled = backend["scale"]
            per_pass = ", ".join(f"{r:.2f}" for r in scaled["passes"])
            rows.append(
                (
                    f"{where}: (c)'s added cost at {scaled['large']:,} keys within 10% of "
                    f"{scaled['small']:,}",
                    f"x {scaled['ratio']:.2f} (median of passes: {per_pass})",
                    "met" if 0.9 <= scaled["ratio"] <= 1.1 else "**missed**",
                )
            )
        if "stack" in backend:
            share = backend["stack"]["apikey"]["share"]
            rows.append(
                (
                    f"{where}: whole stack, (c) req/s ≥ 0.6 x (a)",
                    f"{share:.2f} (Token: {backend['stack']['token']['share']:.2f})",
                    "met" if share >= 0.6 else "**missed**",
                )
            )
    return rows


def console_targets(results: dict[str, Any]) -> str:
    return "\n" + markdown_table(["target", "measured", "verdict"], targets(results))


def document(meta: dict[str, Any], results: dict[str, Any]) -> str:
    from benchmarks.document import render

    return render(meta, results)
