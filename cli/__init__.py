"""The `partnership` command line, one module per command noun; `starter.py` assembles them and
`cli/common.py` holds what they share (one-line errors, JSON output, signing and filing)."""
