"""Per-item work kept between calls: the results equal a fresh computation, and only changed items are computed."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from diagd.compile.model.problems import Diagnostics
from diagd.compile.splice import ItemMap, Partition, changed_positions, changed_span


@dataclass(frozen=True, eq=False)
class Item:
    """Equal values are still different objects (identity is what the helpers compare)."""

    key: str
    value: int


def test_changed_span_and_positions_compare_identities() -> None:
    a, b, c, d = (Item("a", 1), Item("b", 2), Item("c", 3), Item("d", 4))
    assert changed_span([a, b, c], [a, d, b, c]) == (1, 2)
    assert changed_span([a, b, c], [a, c]) == (1, 1)
    assert changed_span([a, b], [a, b]) == (2, 0)
    assert changed_span([a, a], [a]) == (1, 0)  # head and tail never overlap
    assert changed_positions([a, b, c], [a, Item("b", 2), c]) == [1]  # an equal value is still a change


def _compute(calls: list[str]):  # type: ignore[no-untyped-def]
    def compute(item: Item, diag: Diagnostics) -> int | None:
        calls.append(item.key)
        if item.value < 0:
            diag.error(None, "Negative", f"{item.key} is negative")
            return None
        return item.value * 10
    return compute


def test_an_edit_in_place_computes_only_the_changed_item_and_replays_every_problem() -> None:
    items = [Item(f"k{i}", i - 1) for i in range(5)]  # k0 is negative: a problem
    calls: list[str] = []
    memo: ItemMap[Item, int | None] = ItemMap()
    memo.begin("ctx")
    assert memo.map(items, Diagnostics(), _compute(calls)) == [None, 0, 10, 20, 30]
    items[3] = Item("k3", 7)
    calls.clear()
    diag = Diagnostics()
    assert memo.map(items, diag, _compute(calls)) == [None, 0, 10, 70, 30]
    assert calls == ["k3"] and memo.recomputed == [3] and (memo.hits, memo.misses) == (4, 1)
    assert [p.reason for p in diag.collected()] == ["Negative"]  # k0's problem, replayed without computing it


def test_insertions_and_removals_keep_the_head_the_tail_and_moved_items() -> None:
    items = [Item(f"k{i}", i) for i in range(6)]
    calls: list[str] = []
    memo: ItemMap[Item, int | None] = ItemMap()
    memo.map(items, Diagnostics(), _compute(calls))
    calls.clear()
    new = [items[0], Item("x", 9), items[2], items[1], items[4], items[5]]  # k3 gone, x added, k1 and k2 swapped
    assert memo.map(new, Diagnostics(), _compute(calls)) == [0, 90, 20, 10, 40, 50]
    assert calls == ["x"]


def test_a_key_finds_an_equal_item_that_is_another_object_and_a_new_context_forgets_everything() -> None:
    items = [Item(f"k{i}", i) for i in range(4)]
    calls: list[str] = []
    memo: ItemMap[Item, int | None] = ItemMap()
    memo.begin(1)
    memo.map(items, Diagnostics(), _compute(calls), key=lambda item: (item.key, item.value))
    calls.clear()
    copies = [Item(item.key, item.value) for item in items]
    memo.map(copies, Diagnostics(), _compute(calls), key=lambda item: (item.key, item.value))
    assert calls == []
    memo.begin(2)
    memo.map(copies, Diagnostics(), _compute(calls), key=lambda item: (item.key, item.value))
    assert len(calls) == 4


lists = st.lists(st.tuples(st.sampled_from("abc"), st.integers(-2, 20)), min_size=0, max_size=12)


@settings(max_examples=80, deadline=None)
@given(st.lists(lists, min_size=1, max_size=6), st.booleans())
def test_any_sequence_of_lists_maps_and_splits_as_a_fresh_computation(sequence: list[list[tuple[str, int]]],
                                                                       reuse: bool) -> None:
    """``reuse``: an item equal to one of the previous list is that very object, as the snapshot reader keeps it."""
    memo: ItemMap[Item, int | None] = ItemMap()
    parts: Partition[Item] = Partition()
    known: dict[tuple[str, int], Item] = {}
    for values in sequence:
        items = [known.setdefault(v, Item(*v)) if reuse else Item(*v) for v in values]
        diag, fresh_diag = Diagnostics(), Diagnostics()
        assert memo.map(items, diag, _compute([])) == [_compute([])(item, fresh_diag) for item in items]
        assert sorted(p.message for p in diag.collected()) == sorted(p.message for p in fresh_diag.collected())
        split = parts.split(items, lambda item: item.key)
        expected: dict[str, list[Item]] = {}
        for item in items:
            expected.setdefault(item.key, []).append(item)
        assert split == expected
        split.setdefault("a", []).append(Item("z", 0))  # the caller's to change: the next split is not affected


def test_an_edit_in_place_patches_the_parts_and_a_changed_key_splits_again() -> None:
    items = [Item("a", 0), Item("b", 1), Item("a", 2)]
    parts: Partition[Item] = Partition()
    parts.split(items, lambda item: item.key)
    seen: list[Item] = []

    def key(item: Item) -> str:
        seen.append(item)
        return item.key
    edited = [items[0], items[1], Item("a", 5)]
    assert parts.split(edited, key) == {"a": [items[0], edited[2]], "b": [items[1]]}
    again = [items[0], Item("b", 7), edited[2]]
    seen.clear()
    assert parts.split(again, key) == {"a": [items[0], edited[2]], "b": [again[1]]}
    assert seen == [again[1], items[1]]  # only the changed item (and the one it replaced) asked for its key
    moved = [items[0], again[1], Item("b", 6)]
    assert parts.split(moved, lambda item: item.key) == {"a": [items[0]], "b": [again[1], moved[2]]}
