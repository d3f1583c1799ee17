"""Docstrings and comments under plugins/ name modules that exist: the stage packages replaced the flat
module_utils files (san_read.py, san_plan.py, ...), and a docstring that still sends a reader to `san_plan` sends
them nowhere. The code is read with ast and tokenize, never imported."""
import ast
import io
import re
import tokenize
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
SAN = PLUGINS / "module_utils" / "_san"
SAN_NAME = re.compile(r"\bsan_([a-z_]+)\b")
PY_PATH = re.compile(r"\b([\w]+(?:/[\w]+)+\.py)\b")


def san_module_names():
    """The stems of _san's modules and its packages: `san_<one of these>` is the former flat module's name."""
    return {p.stem for p in SAN.rglob("*.py") if p.name != "__init__.py"} | {p.name for p in SAN.iterdir() if p.is_dir()}


def prose(path):
    """[(line, text)] of the docstrings and comments of one file."""
    src = path.read_text()
    out = []
    for node in ast.walk(ast.parse(src, str(path))):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            out.append((node.body[0].lineno, ast.get_docstring(node)))
    out += [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(src).readline)
            if tok.type == tokenize.COMMENT]
    return out


def bound_names(path):
    """The names a file binds by import (an alias such as `validate as san_validate` is a name the file uses)."""
    return {a.asname or a.name.split(".")[0] for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}


def path_exists(ref, here):
    return any((root / ref).is_file() for root in (PLUGINS, PLUGINS / "module_utils", SAN, here))


def stale_names(path, root=PLUGINS):
    """["file:line name"] of the names in path's docstrings and comments that name nothing (root: where path is)."""
    modules, bound = san_module_names(), bound_names(path)
    out = []
    for line, text in prose(path):
        out += ["%s:%d %s" % (path.relative_to(root), line, "san_" + m) for m in SAN_NAME.findall(text)
                if m in modules and "san_" + m not in bound]
        out += ["%s:%d %s" % (path.relative_to(root), line, ref) for ref in PY_PATH.findall(text)
                if not path_exists(ref, path.parent)]
    return out


def test_docstrings_and_comments_name_modules_that_exist():
    """A docstring or comment names a former flat module (`san_read`, `san_plan`) or a file path
    (`observe/x.py`) that does not exist."""
    assert [s for path in sorted(PLUGINS.rglob("*.py")) for s in stale_names(path)] == []


def test_the_check_sees_a_former_module(tmp_path):
    """The check would miss a docstring that names a module that is gone."""
    bad = tmp_path / "m.py"
    bad.write_text('"""Reads through san_read; see observe/gone.py."""\nfrom x import validate as san_validate\n'
                   '# san_validate checks it; san_presence is a fact key\n')
    assert [s.split(" ")[-1] for s in stale_names(bad, tmp_path)] == ["san_read", "observe/gone.py"]
