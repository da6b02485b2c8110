"""Benchmarks of API-key authentication against its peers: `python -m benchmarks.run`.

Outside the test suite on purpose: timings are measured, never asserted. See
docs/performance.md for the method and the latest results.
"""
