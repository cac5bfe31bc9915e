"""Activities: the side effects, grouped by what they own. Each is safe to retry."""
