"""What every benchmark scenario shares: its rows and its context."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    what: str
    value: str
    ratio: str = ""        # e.g. "0.213 of pgbench", "1.05× (1M / 10k)"
    goal: str = ""


@dataclass
class Context:
    pgbench_tps: float
    client_count: int
    seconds: int
    notes: list[str] = field(default_factory=list)

    def clients(self, fn, *, clients: int | None = None, seconds: float | None = None) -> float:
        from bench.harness import run_clients

        return run_clients(fn, clients=clients or self.client_count, seconds=seconds or self.seconds)

    def of_pgbench(self, rate: float) -> str:
        return f"{rate / self.pgbench_tps:.3f} of pgbench"
