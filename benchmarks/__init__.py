"""The course's benchmarks; run them with `python3 benchmarks/run.py` (see README.md)."""
