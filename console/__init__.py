"""The web console of an office (issue 16): server-rendered pages over the same views and filing
paths as the CLI."""
