"""The architecture's rules, checked by tools: import layering, types, and a compiler that does no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    proc = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_types_check() -> None:
    proc = subprocess.run([str(BIN / "mypy"), "watt", "ambex", "diagd/compile"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}
# records.py writes each decorated class's __init__ from its dataclass fields and exec()s it at import, as
# dataclasses itself does; no input ever reaches it. Nowhere else may the compiler exec or eval.
ALLOWED_CALLS = {("diagd/compile/model/records.py", "exec")}
FORBIDDEN_ATTRS = {("os", "environ"), ("os", "getenv"), ("time", "time"), ("time", "monotonic"),
                   ("time", "sleep"), ("datetime", "now")}


def test_the_compiler_does_no_io_reads_no_environment_and_no_clock() -> None:
    offences = []
    for path in sorted((ROOT / "diagd" / "compile").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS \
                    and (str(path.relative_to(ROOT)), node.func.id) not in ALLOWED_CALLS:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}()")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) in FORBIDDEN_ATTRS:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] in {"os", "time", "socket", "subprocess", "logging"} for n in names):
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {names}")
    assert not offences, "\n".join(offences)
