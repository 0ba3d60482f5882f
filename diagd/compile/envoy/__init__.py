"""Render the IR as Envoy v3 resources (plain dicts, JSON-ready). Imports the IR, never the resource kinds."""

__all__: list[str] = []
