"""Plumbing shared by the CLI, the worker and the tests: settings, client, logs, embedded stack."""
