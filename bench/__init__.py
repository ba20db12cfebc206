"""Souk benchmarks: `make bench`. Every figure is a ratio measured in one run."""
