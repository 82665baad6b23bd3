"""Benchmarks (issue #8): this bot against a minimal PTB echo bot, on loopback.

Run with ``python -m benchmarks`` (``make bench``). See :mod:`benchmarks.run`.
"""
