"""The typed intermediate representation: what the configuration means, independent of Envoy's shape.

Every node is a frozen dataclass with tuples instead of lists. The kinds layer builds nodes from resources; the
envoy layer renders them. This package imports neither.
"""

__all__: list[str] = []
