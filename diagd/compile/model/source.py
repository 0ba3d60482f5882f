"""The compiler's input: configuration objects and where each came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diagd.compile.model.records import DERIVED, direct_init

__all__ = ["Location", "SourceObject", "InvalidSource", "Snapshot"]


@direct_init
@dataclass(frozen=True, slots=True)
class Location:
    """Where an object came from: a file and line, or a Kubernetes object (and its parent for annotations)."""

    file: str | None = None
    line: int | None = None
    index: int | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    parent: str | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Location:
        def text(key: str) -> str | None:
            value = raw.get(key)
            return str(value) if value is not None else None

        def number(key: str) -> int | None:
            value = raw.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(
            file=text("file"), line=number("line"), index=number("index"), kind=text("kind"),
            namespace=text("namespace"), name=text("name"), parent=text("parent"),
        )

    def describe(self) -> str:
        """What a person reads: ``dir/file.yaml:12`` or ``Mapping default/foo``."""
        if self.file is not None:
            return f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.namespace}/{self.name}" if self.namespace else str(self.name)
        text = f"{self.kind} {what}" if self.kind else what
        return f"{text} (annotation of {self.parent})" if self.parent else text

    order: tuple[str, int, str, str, str, str] = field(init=False, repr=False, compare=False,
                                                      metadata=DERIVED)

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", (self.file or "", self.index or 0, self.kind or "", self.namespace or "",
                                           self.name or "", self.parent or ""))

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        return self.order


@direct_init
@dataclass(frozen=True, slots=True)
class SourceObject:
    """``key`` identifies the object's exact content and origin (watt's snapshot line); memoised per-resource work
    is reused only for an equal key."""

    body: Any
    location: Location
    key: str | None = None
    # The body's kind and apiVersion when they are strings (else None): read for every object of every compile.
    kind: str | None = field(init=False, repr=False, compare=False)
    api_version: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = self.body
        kind, api_version = (body.get("kind"), body.get("apiVersion")) if isinstance(body, Mapping) else (None, None)
        object.__setattr__(self, "kind", kind if isinstance(kind, str) else None)
        object.__setattr__(self, "api_version", api_version if isinstance(api_version, str) else None)


@dataclass(frozen=True, slots=True)
class InvalidSource:
    """Something watt could not turn into objects (a file that does not parse)."""

    location: Location
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    objects: tuple[SourceObject, ...] = ()
    invalid: tuple[InvalidSource, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
