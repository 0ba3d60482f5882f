"""``direct_init`` builds the same objects as the dataclass ``__init__`` it replaces."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field

import pytest

import diagd.compile
from diagd.compile.model.records import direct_init


def _sample(direct: bool) -> type:
    """The same class twice: once with ``direct_init``, once with the dataclass's own ``__init__``."""
    @dataclass(frozen=True, slots=True)
    class Sample:
        first: str
        second: int = 2
        items: list[int] = field(default_factory=list)
        doubled: int = field(init=False, default=0)
        later: str | None = field(default=None, kw_only=True)
        derived: str = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "doubled", self.second * 2)
            object.__setattr__(self, "derived", f"{self.first}/{self.later}")
    return direct_init(Sample) if direct else Sample


Sample, Plain = _sample(True), _sample(False)


def _fields(value: object) -> dict[str, object]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]


@pytest.mark.parametrize("args, kwargs", [(("a",), {}), (("a", 5), {"later": "z"}), (("a",), {"items": [1]}),
                                          ((), {"first": "b", "second": 7})])
def test_builds_what_the_dataclass_builds(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    assert _fields(Sample(*args, **kwargs)) == _fields(Plain(*args, **kwargs))  # type: ignore[arg-type]


def test_same_signature_defaults_and_frozen() -> None:
    assert _described(Sample.__init__) == _described(Plain.__init__)
    one, two = Sample("a"), Sample("a")
    assert one.items is not two.items  # each gets its own default
    assert one == two and hash(Sample("a", items=())) == hash(Sample("a", items=()))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.first = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Sample("a", 1, [], "late")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    assert dataclasses.replace(one, second=4).doubled == 8


def test_refuses_what_it_cannot_speed_up() -> None:
    @dataclass(slots=True)
    class Mutable:
        x: int

    with pytest.raises(TypeError):
        direct_init(Mutable)


def _direct_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(diagd.compile.__path__, "diagd.compile."):
        module = importlib.import_module(info.name)
        found += [value for value in vars(module).values() if isinstance(value, type)
                  and value.__module__ == info.name and hasattr(value.__init__, "__dataclass_init__")]
    return found


def _described(init: object) -> list[tuple[str, object, object]]:
    """Each parameter's name, kind and default ("factory" for a default factory, which each init shows its way)."""
    def default(value: object) -> object:
        return "required" if value is inspect.Parameter.empty else \
            "factory" if repr(value) in ("<factory>", "<unset>") else value
    return [(p.name, p.kind, default(p.default)) for p in inspect.signature(init).parameters.values()]  # type: ignore[arg-type]


def test_every_use_keeps_the_dataclass_signature() -> None:
    classes = _direct_classes()
    assert len(classes) >= 10
    for cls in classes:
        assert _described(cls.__init__) == _described(cls.__init__.__dataclass_init__), cls
