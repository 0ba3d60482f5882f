"""Flask blueprints. Views read the published ``CompiledState``; they never compile, write files or signal."""

__all__: list[str] = []
