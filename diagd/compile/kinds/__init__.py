"""One module per resource kind. Each turns a normalised ``Resource`` into IR nodes (``parse``), recording
problems on the resource instead of raising. ``diagd.compile.pipeline`` runs them in a fixed, tested order."""

__all__: list[str] = []
