"""benchmarks/mutation.py's results files keep every module's figures."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mutation():
    spec = importlib.util.spec_from_file_location("mutation", ROOT / "benchmarks" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MUTATION = mutation()


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
