"""Every "lab finding N" cited in the code names a finding that docs/lab-findings.md describes."""
import re
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"lab findings? ((?:\d+(?:\s*(?:,|and|-|–)\s*)?)+)", re.IGNORECASE)
HEADING = re.compile(r"^## (\d+)\. ", re.MULTILINE)


def cited_numbers(text):
    """The finding numbers a text cites: "lab finding 6", "lab findings 5, 8", "lab findings 1–3"."""
    numbers = set()
    for match in CITATION.finditer(text):
        for first, last in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", match.group(1)):
            numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def documented_numbers():
    return {int(n) for n in HEADING.findall((ROOT / "docs" / "lab-findings.md").read_text())}


def citations(under):
    found = {}
    for path in sorted((ROOT / under).rglob("*.py")):
        for n in cited_numbers(path.read_text()):
            found.setdefault(n, []).append(str(path.relative_to(ROOT)))
    return found


def test_the_parser_reads_single_lists_and_ranges():
    assert cited_numbers("hangs (lab finding 11); x") == {11}
    assert cited_numbers("short timeouts (lab findings 5, 8)") == {5, 8}
    assert cited_numbers("lab findings 1–3), and") == {1, 2, 3}
    assert cited_numbers("no finding here: finding 4") == set()


def test_the_findings_are_numbered_without_gaps():
    numbers = sorted(documented_numbers())
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_finding_cited_in_plugins_is_documented():
    cited = citations("plugins")
    assert cited, "no citation found: the pattern no longer matches the comments"
    missing = {n: files for n, files in cited.items() if n not in documented_numbers()}
    assert not missing, "cited in plugins/ but not in docs/lab-findings.md: %s" % missing


def test_every_finding_cited_in_tests_and_docs_is_documented():
    cited = citations("tests")
    for doc in (ROOT / "docs").rglob("*.md"):
        if doc.name != "lab-findings.md":
            for n in cited_numbers(doc.read_text()):
                cited.setdefault(n, []).append(str(doc.relative_to(ROOT)))
    missing = {n: files for n, files in cited.items() if n not in documented_numbers()}
    assert not missing, "cited but not in docs/lab-findings.md: %s" % missing
