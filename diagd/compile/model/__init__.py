"""Value types the whole compiler shares: inputs, resource references, problems, settings.

Nothing here knows about resource kinds, the IR or Envoy.
"""

__all__: list[str] = []
