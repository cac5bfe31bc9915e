"""Pydantic inputs, states and the catalogue: imported by workflows, activities and the CLI."""
