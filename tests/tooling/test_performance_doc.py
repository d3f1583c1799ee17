"""docs/performance.md's top table agrees with the results files in benchmarks/results/ it cites."""
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "performance.md"
LINK = re.compile(r"^\[([^\]]+\.json)\]\(\.\./benchmarks/results/([^)]+\.json)\)$")
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9][a-z0-9.-]*\.json$")


def results_file():
    spec = importlib.util.spec_from_file_location("results_file", ROOT / "benchmarks" / "results_file.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RF = results_file()
ROWS = RF.table_rows(DOC.read_text())


def good_file():
    return {"schema": 1, "date": "2026-11-25", "what": "host facts", "command": "python benchmarks/run.py --only host",
            "commit": "d24d557", "machine": "2 vCPUs, TCG", "figures": {"facts-1024": {"value": 19.745, "unit": "s"}}}


def test_the_top_table_is_found():
    """The parser stops finding the table (a renamed column) and every other check here passes on nothing."""
    assert len(ROWS) >= 20, sorted(ROWS)
    assert {"facts-1024-vs-floor", "controller-cpu-per-host-200", "cleanup-act-100"} <= set(ROWS)


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.name)
def test_every_results_file_is_well_formed(path):
    """A results file without a date, command, machine or numeric figures with units, or named for another date."""
    data = json.loads(path.read_text())
    assert RF.problems(data) == []
    match = FILE_NAME.match(path.name)
    assert match, "%s: name is not <date>-<what>.json" % path.name
    assert match.group(1) == data["date"], "%s: the name's date is not the run's" % path.name


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.pop("command"), "command is missing or empty"),
    (lambda d: d.update(date="25.11.2026"), "date is not YYYY-MM-DD"),
    (lambda d: d["figures"]["facts-1024"].pop("unit"), "figure facts-1024 has unit None"),
    (lambda d: d["figures"]["facts-1024"].update(value="19.7 s"), "figure facts-1024 has no numeric value"),
    (lambda d: d.update(figures={}), "figures is missing or empty"),
    (lambda d: d.update(commit="HEAD"), "commit is not a git hash or null"),
])
def test_a_malformed_results_file_is_reported(change, problem):
    """The schema check lets a file through that lacks what a reader needs to trust or reproduce its figures."""
    data = good_file()
    assert RF.problems(data) == []
    change(data)
    assert any(p.startswith(problem) for p in RF.problems(data)), RF.problems(data)


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_every_table_figure_is_the_figure_of_the_file_it_cites(row_id):
    """A figure, date, command or verdict in the top table that its results file does not hold (an edited
    number, a verdict that contradicts the target, a link to a file that is gone)."""
    row = ROWS[row_id]
    match = LINK.match(row["results"])
    assert match and match.group(1) == match.group(2), "%s: results cell is not a link to one file: %r" % (
        row_id, row["results"])
    data = RF.load(RESULTS / match.group(2))
    assert row_id in data["figures"], "%s: %s holds no figure of that id" % (row_id, match.group(2))
    figure = data["figures"][row_id]
    assert row["today"] == RF.render(figure)
    assert row["date"] == data["date"]
    assert row["command"].strip("`") == data["command"]
    assert row["verdict"] == RF.verdict(row["target"], figure)


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_every_row_has_a_command_and_a_bound(row_id):
    """A row nobody can reproduce (no command, not even 'command not recorded') or that does not say what
    bounds it."""
    row = ROWS[row_id]
    command = row["command"].strip("`").strip()
    assert command == RF.NOT_RECORDED or re.search(r"benchmarks/\w+\.py|scripts/test\.sh|pytest tests/", command), (
        "%s: %r runs none of the project's benchmarks or tests" % (row_id, command))
    assert row["bounded by"].strip(), row_id
    assert row["target"] == "—" or RF.TARGET.match(row["target"]), "%s: target %r is not '≤ N unit'" % (
        row_id, row["target"])


def test_update_sets_a_row_from_a_results_file(tmp_path):
    """A benchmark run cannot put its figure into the table (issue 41 adds rows this way), or touches rows the
    file does not hold."""
    path = tmp_path / "2026-11-26-host.json"
    data = good_file()
    data["date"] = "2026-11-26"
    data["figures"]["facts-1024"]["value"] = 12.5
    path.write_text(json.dumps(data))
    header = "| %s |\n| %s |\n" % (" | ".join(RF.COLUMNS), " | ".join("---" for _ in RF.COLUMNS))
    text = header + "| `facts-1024` | module | ≤ 13.9 s | | | | | | reads |\n| `other` | x | — | 1 s | — | d | r | c | b |\n"
    rows = RF.table_rows(RF.update(text, path))
    assert rows["facts-1024"]["today"] == "12.5 s" and rows["facts-1024"]["verdict"] == "met"
    assert rows["facts-1024"]["date"] == "2026-11-26"
    assert rows["facts-1024"]["command"] == "`python benchmarks/run.py --only host`"
    assert rows["facts-1024"]["results"] == "[2026-11-26-host.json](../benchmarks/results/2026-11-26-host.json)"
    assert rows["other"]["today"] == "1 s"


def test_results_files_named_in_the_docs_exist():
    """A doc that sends the reader to a results file that was renamed or never written."""
    named = set()
    for doc in list((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        named.update(re.findall(r"\b(\d{4}-\d{2}-\d{2}-[a-z0-9.-]+\.json)\b", doc.read_text()))
    assert named, "no results file is named in the docs: the pattern no longer matches"
    missing = sorted(n for n in named if not (RESULTS / n).exists())
    assert not missing, missing


@pytest.mark.parametrize("pipelining, suffix", [(False, ""), (True, "-pipelining")])
def test_a_pipelined_controller_run_fills_rows_of_its_own(pipelining, suffix):
    """Fails when a run with --pipelining would overwrite the rows of Ansible's default configuration."""
    run = {"detail": "compact", "hosts": 200, "controller_cpu_per_host_s": 2.5, "peak_pss_mib": 800.0,
           "controller_max_rss_mib": 600.0, "wall_s": 900.0}
    figures = RF.controller_figures({"pipelining": pipelining, "runs": [run, dict(run, detail="full")]})
    assert sorted(figures) == sorted("controller-%s-200%s" % (kind, suffix)
                                     for kind in ("cpu-per-host", "peak-pss", "largest-process", "wall"))
    assert figures["controller-cpu-per-host-200" + suffix]["value"] == 2.5


def test_host_figures_carry_the_ratios_the_bench_derived_and_only_those_measured():
    """One size's row as bench_host_scale.measure leaves it (the ratios as its "1.20x" strings): the fixed cost, the
    /proc scan and both ratios become rows of their own; a size measured without them (an older harness) gets none,
    never a ratio made up from what is missing."""
    row = {"stale_mpath_facts (module alone)": 17.82, "bare walk + maps json": 10.562, "multipath -ll": 65.5,
           "stale_mpath_facts that reads nothing (fixed cost)": 5.187, "bare /proc/*/fd scan": 0.482,
           "module minus its fixed cost vs the floor": "1.20x",
           "module minus its fixed cost vs the floor and the /proc scan": "1.14x"}
    old = {k: row[k] for k in ("stale_mpath_facts (module alone)", "bare walk + maps json")}
    figures = RF.host_figures({"512": old, "1024": row})
    assert figures["facts-1024-work-vs-floor"] == {"value": 1.2, "unit": "x"}
    assert figures["facts-1024-work-vs-floor-and-openers"] == {"value": 1.14, "unit": "x"}
    assert figures["facts-fixed-1024"] == {"value": 5.187, "unit": "s"}
    assert figures["proc-scan-1024"] == {"value": 0.482, "unit": "s"}
    assert not [k for k in figures if k.startswith(("facts-512-work", "facts-fixed-512", "proc-scan-512"))]
    assert figures["growth-512-1024"] == {"value": 1.0, "unit": "x"}


BENCH_SCRIPTS = ("run", "bench_controller", "bench_assemble", "bench_task_floor")


def bench_commands():
    """(row id, script, argv) of every `python benchmarks/<script>.py ...` the top table and "How to re-run" show."""
    import shlex
    text = DOC.read_text()
    lines = [(rid, row["command"].strip("`")) for rid, row in sorted(ROWS.items())]
    rerun = text[text.index("## How to re-run"):].split("```")[1]
    lines += [("How to re-run", line.split("#")[0]) for line in rerun.splitlines()]
    out = []
    for rid, line in lines:
        for part in line.split(";"):
            words = shlex.split(part.replace("$(date -u +%F)", "DATE"))
            while words and re.match(r"^[A-Z_]+=", words[0]):
                words.pop(0)  # an environment assignment before the command
            if words[:1] == ["python"] and words[1:2] and words[1].startswith("benchmarks/"):
                out.append((rid, Path(words[1]).stem, words[2:]))
    return out


def bench_module(name):
    import sys
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))  # run.py imports its sibling scripts
    spec = importlib.util.spec_from_file_location("doc_" + name, ROOT / "benchmarks" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_show_benchmark_commands():
    """The finder below stops finding commands (a changed table or code block) and the check passes on nothing."""
    scripts = {script for _rid, script, _argv in bench_commands()}
    assert {"run", "bench_controller", "results_file"} <= scripts, scripts


@pytest.mark.parametrize("script", BENCH_SCRIPTS)
def test_every_benchmark_command_the_docs_show_parses(script):
    """Fails when a command of docs/performance.md names an option or part its script does not take (a renamed
    flag would leave the doc's command failing as written)."""
    module = bench_module(script)
    bad = []
    for rid, name, argv in bench_commands():
        if name != script:
            continue
        try:
            args = module.arguments().parse_args(argv)
        except SystemExit:
            bad.append((rid, argv))
            continue
        if script == "run" and not set(args.only.split(",")) <= set(module.PARTS):
            bad.append((rid, argv))
    assert bad == []
