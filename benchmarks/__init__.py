"""Benchmarks: each ``bench_*.py`` module measures reasonlab against a baseline side by side in
one run and returns result rows; ``python -m benchmarks`` runs them all (``make bench``)."""
