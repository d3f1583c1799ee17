"""benchmarks/mutation.py's results files keep every module's figures, and docs/design.md's mutation scores are the
newest results file's."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DESIGN = ROOT / "docs" / "design.md"


sys.path.insert(0, str(ROOT / "benchmarks"))
import mutation as MUTATION  # noqa: E402  (benchmarks/ is no package)


def counts(mutants, killed, equivalent, not_run=0):
    return {"mutants": mutants, "killed": killed, "equivalent": equivalent, "survived": mutants - killed - equivalent,
            "no_tests": 0, "timeout": 1, "not_run": not_run, "seconds": 12.5,
            "score": round(100.0 * killed / (mutants - equivalent), 1)}


def test_recording_one_module_keeps_the_figures_and_notes_of_the_others(tmp_path):
    """Fails when --record of one module's run drops, from the results file it merges into, another module's figures,
    the note that says on which commit and whether to its end they were measured, or the command of that run; or
    keeps a module's old figures beside its new ones."""
    path = tmp_path / "2026-11-29-mutation.json"
    MUTATION.record(path, {"plan/truth_age.py": counts(30, 30, 0)}, ["plan/truth_age.py", "--record", str(path)])
    MUTATION.record(path, {"act/checks.py": counts(560, 500, 4, not_run=20)},
                    ["--resume", "act/checks.py", "--record", str(path)])
    data = json.loads(path.read_text())
    figures = data["figures"]
    assert figures["mutation-plan/truth_age.py-killed"]["value"] == 30
    assert figures["mutation-plan/truth_age.py-score"]["note"].endswith(": 0 no tests, 1 timeouts, 12.5 s; complete")
    assert figures["mutation-act/checks.py-not_run"]["value"] == 20
    assert "STOPPED with 20 mutants not run" in figures["mutation-act/checks.py-score"]["note"]
    assert data["command"] == ("python benchmarks/mutation.py plan/truth_age.py; "
                               "python benchmarks/mutation.py act/checks.py")
    assert "plan/truth_age.py: " in data["notes"] and "act/checks.py: " in data["notes"]
    MUTATION.record(path, {"plan/truth_age.py": counts(31, 29, 1)}, ["plan/truth_age.py", "--record", str(path)])
    figures = json.loads(path.read_text())["figures"]
    assert figures["mutation-plan/truth_age.py-mutants"]["value"] == 31
    assert figures["mutation-act/checks.py-mutants"]["value"] == 560
    keys = ("equivalent", "killed", "mutants", "not_run", "score", "survived")
    assert sorted(k for k in figures if k.startswith("mutation-plan/truth_age.py-")) == [
        "mutation-plan/truth_age.py-%s" % k for k in keys]


def newest_results():
    files = sorted(RESULTS.glob("*-mutation.json"))
    assert files, "no benchmarks/results/*-mutation.json"
    return files[-1], json.loads(files[-1].read_text())


def design_table():
    """{module: {column: cell}} of design.md's table between the mutation-scores markers, and the text after it."""
    text = DESIGN.read_text()
    start, end = text.index("<!-- mutation-scores -->"), text.index("<!-- /mutation-scores -->")
    lines = [ln for ln in text[start:end].splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["module", "mutants", "killed", "equivalent", "survived", "not run", "score", "tests"], header
    rows = {}
    for line in lines[2:]:
        row = dict(zip(header, (c.strip() for c in line.strip().strip("|").split("|"))))
        rows[row["module"].strip("`")] = row
    return rows, lines, text[end:].split("\n## ", 1)[0]


def test_the_design_docs_mutation_scores_are_the_newest_results_files():
    """Fails when docs/design.md's table of mutation scores says other figures than the newest
    benchmarks/results/*-mutation.json (a run recorded and the doc left as it was, or the doc edited by hand), lists
    other modules, names other tests than the script runs, or the text after it cites another results file."""
    path, data = newest_results()
    rows, _lines, after = design_table()
    figures = data["figures"]
    modules = sorted(set(k[len("mutation-"):-len("-score")] for k in figures if k.endswith("-score")))
    assert sorted(rows) == modules
    for module, row in rows.items():
        want = dict((key, figures["mutation-%s-%s" % (module, key)]["value"])
                    for key in ("mutants", "killed", "equivalent", "survived", "not_run", "score"))
        got = dict((key, int(row[key])) for key in ("mutants", "killed", "equivalent", "survived"))
        got["not_run"] = int(row["not run"])
        score = re.match(r"^([0-9]+(?:\.[0-9])?) %$", row["score"])
        assert score, row["score"]
        got["score"] = float(score.group(1))
        assert got == want, module
        assert row["tests"] == MUTATION.shown_tests(module), module
    assert "[%s](../benchmarks/results/%s)" % (path.name, path.name) in after
    assert "commit %s" % data["commit"] in after


def test_the_command_that_prints_the_design_docs_table_prints_it_as_it_is():
    """Fails when `python benchmarks/mutation.py --table <the newest results file>` (the command design.md gives to
    write its table) prints another table than the doc holds."""
    path, _data = newest_results()
    out = subprocess.run([sys.executable, "benchmarks/mutation.py", "--table", str(path.relative_to(ROOT))],
                         cwd=str(ROOT), capture_output=True, text=True, check=True).stdout
    _rows, lines, _after = design_table()
    assert out.splitlines() == lines
