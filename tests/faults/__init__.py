"""Fault injection shared by the test suite (small seeded batches) and ``python -m tests.faults``
(the full counts, with figures for docs/reliability.md)."""
