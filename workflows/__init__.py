"""Workflows: the rules only. Deterministic state machines and timers; all I/O is in activities."""
