"""Turn one file's text into documents, each with its line number, or into a parse error with its line.

YAML is read with libyaml when available (about 50 µs per small document). Timestamps stay strings, as
Kubernetes would keep them. ``kind: List`` documents are expanded into their items.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Document", "ParseError", "FileDocuments", "parse_text", "CONFIG_SUFFIXES"]

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loading, with timestamps kept as the strings the user wrote."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _BaseLoader.construct_yaml_str)


@dataclass(frozen=True, slots=True)
class Document:
    body: Any
    line: int
    index: int


@dataclass(frozen=True, slots=True)
class ParseError:
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class FileDocuments:
    documents: tuple[Document, ...]
    error: ParseError | None


def parse_text(text: str, *, is_json: bool) -> FileDocuments:
    """Parse a whole file. On a syntax error no documents are returned: a half-read file is not trusted."""
    try:
        docs = list(_json_documents(text) if is_json else _yaml_documents(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return FileDocuments((), ParseError(line, _one_line(exc)))
    except yaml.YAMLError as exc:
        return FileDocuments((), ParseError(None, _one_line(exc)))
    except json.JSONDecodeError as exc:
        return FileDocuments((), ParseError(exc.lineno, exc.msg))
    except (ValueError, RecursionError) as exc:
        return FileDocuments((), ParseError(None, f"{type(exc).__name__}: {exc}"))
    return FileDocuments(tuple(_expand_lists(docs)), None)


def _yaml_documents(text: str) -> Iterator[tuple[Any, int]]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            yield loader.construct_document(node), node.start_mark.line + 1
    finally:
        loader.dispose()


def _json_documents(text: str) -> Iterator[tuple[Any, int]]:
    if text.strip():
        yield json.loads(text), 1


def _expand_lists(docs: list[tuple[Any, int]]) -> Iterator[Document]:
    index = 0
    for body, line in docs:
        if body is None:
            continue
        items = body.get("items") if isinstance(body, dict) and body.get("kind") == "List" else None
        for item in items if isinstance(items, list) else [body]:
            index += 1
            yield Document(body=item, line=line, index=index)


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        text = f"{context}: {text}"
    return " ".join(str(text).split())
