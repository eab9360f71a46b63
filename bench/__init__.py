"""Benchmarks of the follow-through against real servers: ``python -m bench.run``.

Not part of the test suite: it measures, it asserts nothing about speed, and
it writes its figures to docs/BENCHMARKS.md.
"""
