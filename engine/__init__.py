"""The machinery that runs the system: settings, client, logs, keys, the embedded stack, bootstrap
and the yearly Forum schedule. No rule of the agreement lives here (see `rules/`)."""
