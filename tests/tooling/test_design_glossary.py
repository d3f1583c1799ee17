"""docs/design.md's glossary names the domain words the code and the other pages use (issue 40 item 3), each once,
and the names it cites exist: a word that drops out, or a second name for one concept, sends a reader guessing."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "design.md"
WORDS = ("map", "path", "unit", "step", "plan", "truth", "coverage", "finding", "verdict", "check", "area",
         "harmless opener")


def glossary(text):
    start = text.index("\n## Glossary")
    body = text[start:text.index("\n## ", start + 1)]
    return [m.group(1) for m in re.finditer(r"^- \*\*([^*]+)\*\*:", body, re.M)]


def missing(terms, words=WORDS):
    return [w for w in words if terms.count(w) != 1]


def test_the_glossary_defines_each_domain_word_once():
    assert missing(glossary(DOC.read_text())) == []


def test_the_glossary_check_fails_on_a_missing_or_doubled_word():
    text = "\n## Glossary\n\n- **map**: a\n- **map**: b\n- **path**: c\n\n## Next\n"
    assert missing(glossary(text), ("map", "path", "unit")) == ["map", "unit"]


def test_no_second_name_for_the_harmless_openers():
    """'benign' was a second name of identity.HARMLESS_OPENERS (plan.steps, judge.usage, act.maps)."""
    root = DOC.parents[1]
    found = [str(p.relative_to(root)) for p in sorted((root / "plugins").rglob("*.py"))
             if re.search(r"\bbenign", p.read_text(), re.I)]
    assert found == []
