#!/usr/bin/env python3
"""Mutation testing of the code that decides or performs a removal: how much of it the unit tests would notice if
it were wrong. Not in CI (minutes per module on two cores); run it by hand, one module at a time:

    eval "$(scripts/setup.sh)"
    python benchmarks/mutation.py plan/truth_age.py judge/coverage.py      # the modules named (paths under _san/)
    python benchmarks/mutation.py --all --record benchmarks/results/<date>-mutation.json
    python benchmarks/mutation.py --table benchmarks/results/<date>-mutation.json  # docs/design.md's table of it

Each module is mutated by mutmut 3 (pinned below, installed into a venv of its own, ~/.cache/sanfleet/mutation-venv,
that sees the project's venv for pytest, hypothesis and ansible-core). Why mutmut and not cosmic-ray: mutmut
writes every mutant of a module into one copy of it behind a trampoline, runs the tests once to learn which tests
call which function, and then runs, in a process forked per mutant, only the tests that call the mutated function
(stopping at the first failure); cosmic-ray rewrites the file and starts a fresh pytest per mutant and runs the
whole selection each time, and generates several mutants per operator (every other binary operator for each one).
On two shared cores that is the difference between minutes and hours per module.

The layout problem and how it is solved: the code imports itself as `ansible_collections.sanfleet.remediation...`.
mutmut names a mutant by the module path of the file it mutated and a trampoline only switches to a mutant whose
name starts with the module name of the running function (`__module__`), and mutmut puts its `mutants/` copy first
on sys.path. So each run works in a directory of its own (~/.cache/sanfleet/mutation/<module>/) that holds the
module at `ansible_collections/sanfleet/remediation/plugins/...` (so its mutants are named like its `__module__`),
and `mutants/ansible_collections/sanfleet/remediation/` is a copy of the whole checkout (tracked and untracked,
not ignored files): the tests import the mutated module and the rest of the collection from that copy, with
SANFLEET_COLLECTIONS (conftest.py) pointing at `mutants/`, never at the checkout. mutmut's own check that a
forced failure in every mutated function fails a test runs first and stops the run when the tests do not reach
the mutated copy; `--prove` in addition breaks the module by hand in the copy and requires the tests to fail.

Per module the tests are its mirrored unit tests (TESTS below); `--invariants` adds tests/unit/test_house_rules.py
with SANFLEET_INVARIANT_EXAMPLES=3 (random examples, plus each invariant's explicit ones: about 100 s for one pass
of all of them, so only worth it on the survivors of a first pass). `--resume` goes on with the last run of a module
after tests were added (its survivors again, then the mutants a stopped run had not reached): on two shared cores a
module's run takes an hour, and a run started again from nothing would test again what is killed already. A survivor is either killed by a new unit test
or listed in benchmarks/mutation_equivalent.txt (`module | mutant | the mutated line | why it is equivalent`); a
listed mutant whose line no longer matches counts as a survivor again. Score = killed / (mutants - equivalent);
a mutant no selected test reaches ("no tests") counts as a survivor; a timeout counts as killed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent
sys.path.insert(0, str(HERE))
import results_file  # noqa: E402

MUTMUT = "mutmut==3.8.1"
CACHE = Path(os.environ.get("SANFLEET_CACHE") or Path.home() / ".cache" / "sanfleet")
VENV = CACHE / "mutation-venv"
WORK = CACHE / "mutation"
SAN = "plugins/module_utils/_san"
TESTS_SAN = "tests/unit/plugins/module_utils/_san"
PKG = Path("ansible_collections/sanfleet/remediation")
EQUIVALENT = HERE / "mutation_equivalent.txt"
INVARIANTS = "tests/unit/test_house_rules.py"

# module (under _san/) -> the tests that guard it (paths in the checkout): the mirrored test file first, then those of
# the modules that reach it (mutmut runs, per mutant, only the tests that call the mutated function, so a wider
# selection costs one pass of it to learn who calls what, and the time of the callers per mutant)
def _san_tests(*names):
    return [TESTS_SAN + "/" + n for n in names]


TESTS = {
    "plan/truth_age.py": _san_tests("plan/test_truth_age.py"),
    "plan/approval.py": _san_tests("plan/test_approval.py"),
    "plan/cleanup.py": _san_tests("plan/test_cleanup.py"),
    "plan/disks.py": _san_tests("plan/test_disks.py", "plan/test_cleanup.py"),
    "plan/maps.py": _san_tests("plan/test_maps.py", "plan/test_cleanup.py"),
    "plan/nvme.py": _san_tests("plan/test_nvme.py"),
    "plan/steps.py": _san_tests("plan/test_steps.py", "plan/test_cleanup.py"),
    "judge/coverage.py": _san_tests("judge/test_coverage.py", "judge/test_verdicts.py", "judge/test_nvme_verdicts.py"),
    "judge/findings.py": _san_tests("judge/test_findings.py"),  # it calls every function; test_verdicts: ~25 s a mutant
    "judge/verdicts.py": _san_tests("judge/test_verdicts.py"),
    "judge/nvme_verdicts.py": _san_tests("judge/test_nvme_verdicts.py"),
    "act/checks.py": _san_tests("act/test_checks.py"),
    "act/batch.py": _san_tests("act/test_batch.py", "act/test_execute.py"),
    "act/children.py": _san_tests("act/test_children.py"),
    "act/disks.py": _san_tests("act/test_disks.py", "act/test_execute.py", "act/test_batch.py"),  # execute runs it
    "act/execute.py": _san_tests("act/test_execute.py"),
    "act/maps.py": _san_tests("act/test_maps.py", "act/test_execute.py", "act/test_batch.py"),  # execute runs it
    "act/nvme.py": _san_tests("act/test_nvme.py"),
    "act/scans.py": _san_tests("act/test_scans.py"),
    "act/post_check.py": _san_tests("act/test_post_check.py") + ["tests/unit/plugins/modules/test_stale_cleanup.py"],
    "act/refs.py": _san_tests("act/test_refs.py", "act") + ["tests/unit/plugins/modules/test_stale_cleanup.py",
                                                            "tests/unit/plugins/modules/stale_cleanup/test_references.py"],
    "act/iscsi_nodes.py": _san_tests("act/test_iscsi_nodes.py") + ["tests/unit/plugins/modules/test_iscsid_conf.py"],
    "act/daemon.py": _san_tests("act/test_daemon.py") + ["tests/unit/plugins/modules/test_multipath_conf.py"],
    "act/nvme_conf.py": _san_tests("act/test_nvme_conf.py") + ["tests/unit/plugins/modules/test_nvme_conf.py"],
    "act/context.py": _san_tests("act/test_context.py"),
}


# mutmut's exit codes of a mutant's test run (mutmut/stats.py) -> our four classes
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user", "suspicious"}


def log(*args):
    print("[mutation]", *args, file=sys.stderr, flush=True)


def ensure_venv():
    """The mutation venv: mutmut pinned, and the project's venv (SANFLEET_VENV) behind it for the tests' imports."""
    python = VENV / "bin" / "python"
    project = os.environ.get("SANFLEET_VENV")
    if not project:
        raise SystemExit('run `eval "$(scripts/setup.sh)"` first: SANFLEET_VENV is not set')
    if not python.exists():
        subprocess.run([str(Path(project) / "bin" / "python"), "-m", "venv", str(VENV)], check=True)
    have = subprocess.run([str(python), "-m", "pip", "show", "mutmut"], capture_output=True, text=True)
    if "Version: %s" % MUTMUT.split("==")[1] not in have.stdout:
        subprocess.run([str(python), "-m", "pip", "install", "-q", MUTMUT], check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    theirs = subprocess.run([str(Path(project) / "bin" / "python"), "-c",
                             "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "sanfleet-project-venv.pth").write_text(theirs + "\n")
    return VENV / "bin" / "mutmut"


def checkout_files():
    out = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=str(TOP), capture_output=True,
                         check=True).stdout
    return [f for f in out.decode().split("\0") if f]


def copy_checkout(dest):
    for rel in checkout_files():
        src, dst = TOP / rel, dest / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_file():
            shutil.copy2(src, dst)


def workdir(module, tests):
    """A fresh directory for one module's run: the module where mutmut mutates it, the checkout under mutants/."""
    work = WORK / module.replace("/", "-")[:-3]
    shutil.rmtree(work, ignore_errors=True)
    source = PKG / SAN / module
    copy_checkout(work / "mutants" / PKG)
    (work / source).parent.mkdir(parents=True)
    shutil.copy2(TOP / SAN / module, work / source)  # same mtime as the copy under mutants/: "not yet mutated"
    write_config(work, module, tests)
    return work


# mutmut stops a mutant's tests after (their time in its first pass + 1 s) x this, in seconds of the wall clock, and
# counts it killed (timeout); its default, 15, took mutants whose tests waited for a loaded machine's two cores for
# killed ones. (A test that really loops forever is stopped all the same, later.)
TIMEOUT_MULTIPLIER = 60


def write_config(work, module, tests):
    """mutmut's configuration of a module's run (setup.cfg in its work dir). A run resumed with another timeout
    tests again only the mutants it had counted as timeouts."""
    selection = "".join("\n    %s" % (PKG / t) for t in tests)
    (work / "setup.cfg").write_text(
        "[mutmut]\nsource_paths = %s\npytest_add_cli_args_test_selection =%s\n"
        "pytest_add_cli_args = -p no:cacheprovider -p no:xdist\nuse_git_change_detection = false\n"
        "timeout_multiplier = %d\n" % (PKG / SAN / module, selection, TIMEOUT_MULTIPLIER))


def environment(work, invariants):
    env = dict(os.environ, SANFLEET_COLLECTIONS=str(work / "mutants"), ANSIBLE_COLLECTIONS_PATH=str(work / "mutants"))
    if invariants:
        env["SANFLEET_INVARIANT_EXAMPLES"] = "3"
    else:
        env.pop("SANFLEET_INVARIANT_EXAMPLES", None)
    return env


def prove(module, tests, work, env):
    """A mutant made by hand must fail the tests: every `return` of the module's copy returns None. If the tests
    imported the checkout (or another copy) instead, they would pass and this raises."""
    target = work / "mutants" / PKG / SAN / module
    text = target.read_text()
    broken = re.sub(r"^(\s+)return\b.*$", r"\1return None", text, flags=re.M)
    if broken == text:
        raise SystemExit("%s: no return to break by hand" % module)
    target.write_text(broken)
    try:
        res = subprocess.run(["nice", "-n", "19", sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              "-p", "no:xdist"] + [str(PKG / t) for t in tests],
                             cwd=str(work / "mutants"), env=env, capture_output=True, text=True)
    finally:
        target.write_text(text)
        os.utime(target, (os.path.getatime(work / PKG / SAN / module), os.path.getmtime(work / PKG / SAN / module)))
    if res.returncode == 0:
        raise SystemExit("%s: the hand-made mutant (every return -> None) passed the tests: they do not import the "
                         "mutated copy\n%s" % (module, res.stdout[-2000:]))
    log("%s: the hand-made mutant (every return -> None) fails the tests, as it must" % module)


def equivalents():
    """{(module, mutant): (mutated line, reason)} from benchmarks/mutation_equivalent.txt."""
    out = {}
    for number, line in enumerate(EQUIVALENT.read_text().splitlines() if EQUIVALENT.exists() else [], 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 4 or not parts[3]:
            raise SystemExit("%s:%d: not `module | mutant | mutated line | reason`" % (EQUIVALENT, number))
        out[(parts[0], parts[1])] = (parts[2], parts[3])
    return out


DIFFS = (
    "import json, sys\n"
    "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
    "path = sys.argv[1]\n"
    "print(json.dumps({n: get_diff_for_mutant(n, path=path) for n in sys.argv[2:]}))\n")


def mutant_diffs(mutmut, work, path, names, env):
    """{mutant: its diff} (what `mutmut show` prints), all in one process of the mutation venv."""
    if not names:
        return {}
    res = subprocess.run([str(Path(mutmut).parent / "python"), "-c", DIFFS, str(path)] + list(names), cwd=str(work),
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def mutated_line(diff):
    """The first line a mutant adds (its diff), stripped: what an equivalence entry must match."""
    added = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    return added[0] if added else "<line removed: %s>" % (removed[0] if removed else "?")


def run_module(mutmut, module, invariants, do_prove):
    tests = list(TESTS[module]) + ([INVARIANTS] if invariants else [])
    for t in tests:
        if not (TOP / t).exists():
            raise SystemExit("%s: its test %s does not exist" % (module, t))
    work = workdir(module, tests)
    env = environment(work, invariants)
    if do_prove:
        prove(module, tests, work, env)
    started = time.time()
    log("%s: mutmut run in %s (tests: %s)" % (module, work, " ".join(tests)))
    res = subprocess.run(["nice", "-n", "19", str(mutmut), "run", "--max-children", "1"], cwd=str(work), env=env,
                         capture_output=True, text=True)
    (work / "mutmut-run.log").write_text(res.stdout + res.stderr)
    meta = work / "mutants" / (str(PKG / SAN / module) + ".meta")
    if res.returncode != 0 or not meta.exists():
        raise SystemExit("%s: mutmut run failed (exit %d), see %s\n%s" % (
            module, res.returncode, work / "mutmut-run.log", (res.stdout + res.stderr)[-3000:]))
    return summarize(mutmut, module, work, env, started)


def resume_module(mutmut, module, invariants):
    """Go on with the last run of `module` after tests were added to its selection: the checkout's tests replace
    those of the run's copy, mutmut learns which functions the new tests call, tests the survivors of the run again
    (by name) and then the mutants it had not run yet (a stopped run). What was killed stays killed, so only after
    adding tests, never after changing or removing one, and never after the module changed (its mutants would be
    another module's: refused)."""
    work = WORK / module.replace("/", "-")[:-3]
    meta = work / "mutants" / (str(PKG / SAN / module) + ".meta")
    if not meta.exists() or (TOP / SAN / module).read_bytes() != (work / PKG / SAN / module).read_bytes():
        raise SystemExit("%s: no run of this module as it is now in %s: run it first" % (module, work))
    for rel in checkout_files():
        if rel.startswith("tests/") and (TOP / rel).is_file():
            (work / "mutants" / PKG / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TOP / rel, work / "mutants" / PKG / rel)
    tests = list(TESTS[module]) + ([INVARIANTS] if invariants else [])
    write_config(work, module, tests)
    env = environment(work, invariants)
    statuses = status_names(mutmut)
    again = sorted(n for n, c in json.loads(meta.read_text())["exit_code_by_key"].items()
                   if c is not None and statuses.get(str(c)) not in KILLED)
    started = time.time()
    log("%s: resumed in %s: %d survivors again, then the mutants not run yet" % (module, work, len(again)))
    for names in ([again] if again else []) + [[]]:
        res = subprocess.run(["nice", "-n", "19", str(mutmut), "run", "--max-children", "1"] + names, cwd=str(work),
                             env=env, capture_output=True, text=True)
        with open(str(work / "mutmut-run.log"), "a") as fh:
            fh.write(res.stdout + res.stderr)
        if res.returncode != 0:
            raise SystemExit("%s: mutmut run failed (exit %d), see %s" % (
                module, res.returncode, work / "mutmut-run.log"))
    return summarize(mutmut, module, work, env, started)


def summarize(mutmut, module, work, env, started=None):
    """Counts and survivors of the run in `work`. A run cut short (--summarize of a run that was stopped) counts
    the mutants it tested and says how many it did not (not_run); a finished run has none."""
    meta = work / "mutants" / (str(PKG / SAN / module) + ".meta")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    from_stats = status_names(mutmut)
    diffs = mutant_diffs(mutmut, work, PKG / SAN / module,
                         [n for n, c in codes.items() if from_stats.get(str(c), "not checked") not in KILLED], env)
    known = equivalents()
    counts = {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "no_tests": 0, "timeout": 0, "not_run": 0}
    survivors = []
    for name, code in sorted(codes.items()):
        status = from_stats.get(str(code), "not checked")
        if status in NOT_RUN:
            if started is not None:
                raise SystemExit("%s: mutant %s was not run (%s): see %s" % (
                    module, name, status, work / "mutmut-run.log"))
            counts["not_run"] += 1
            continue
        counts["mutants"] += 1
        short = name.rpartition(".")[2]
        if status in KILLED:
            counts["killed"] += 1
            counts["timeout"] += status == "timeout"
            continue
        diff = diffs[name]
        line = mutated_line(diff)
        entry = known.get((module, short))
        if entry and entry[0] == line:
            counts["equivalent"] += 1
            continue
        counts["survived"] += 1
        counts["no_tests"] += status == "no tests"
        survivors.append({"mutant": short, "status": status, "line": line, "diff": diff,
                          "stale_equivalence": bool(entry)})
    scored = counts["mutants"] - counts["equivalent"]
    counts["score"] = round(100.0 * counts["killed"] / scored, 1) if scored else 100.0
    counts["seconds"] = round(time.time() - started, 1) if started is not None else None
    (work / "survivors.txt").write_text("".join(
        "## %s (%s%s)\n%s\n" % (s["mutant"], s["status"], ", its equivalence entry no longer matches"
                                if s["stale_equivalence"] else "", s["diff"]) for s in survivors))
    return counts, survivors, work


def status_names(mutmut):
    """mutmut's {exit code: status} (mutmut.stats.status_by_exit_code), read from its venv."""
    code = "import json, mutmut.stats as s; print(json.dumps({str(k): v for k, v in s.status_by_exit_code.items()}))"
    python = Path(mutmut).parent / "python"
    return json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout)


def module_note(counts, commit):
    """What a module's figures were measured on and whether its run reached its end: the note of its score figure,
    which stays with its figures when a later run of other modules is merged into the same results file."""
    return "%s: %d no tests, %d timeouts%s; %s" % (
        commit or "no commit", counts["no_tests"], counts["timeout"],
        ", %s s" % counts["seconds"] if counts.get("seconds") is not None else "",
        "STOPPED with %d mutants not run (scores of the tested ones)" % counts["not_run"] if counts["not_run"]
        else "complete")


def record(path, results, argv):
    """Merge the figures of `results` ({module: counts}) into the results file at `path`: a module's figures replace
    its own of an earlier run; another module's figures, and their note, stay (with the commit they were measured
    on in the note: the file's own commit is the last run's); the command of each run merged in is kept."""
    commit = results_file.commit()
    figures = {}
    for module, c in results.items():
        for key in ("mutants", "killed", "survived", "equivalent", "not_run"):
            figures["mutation-%s-%s" % (module, key)] = results_file.measured(c[key], "count")
        figures["mutation-%s-score" % module] = dict(results_file.measured(c["score"], "%"),
                                                     note=module_note(c, commit))
    old, commands = {}, []
    if Path(path).exists():
        data = json.loads(Path(path).read_text())
        old = {k: v for k, v in data.get("figures", {}).items()
               if not any(k.startswith("mutation-%s-" % m) for m in results)}
        commands = [c for c in data.get("command", "").split("; ") if c]
    merged = dict(old, **figures)
    command = results_file.command("benchmarks/mutation.py", [a for a in argv if a not in ("--summarize", "--resume")])
    notes = "; ".join("%s: %s" % (k[len("mutation-"):-len("-score")], v.get("note", "no note"))
                      for k, v in sorted(merged.items()) if k.endswith("-score"))
    results_file.write(path, "mutation testing (mutmut 3.8.1) of the modules that decide or perform a removal, "
                             "against their mirrored unit tests: per module mutants, killed, survived, equivalent, "
                             "not run (a run stopped before its end), score = killed / (mutants - equivalent)",
                       "; ".join(commands + ([command] if command not in commands else [])), merged, notes)


# docs/design.md's table of the scores (between <!-- mutation-scores --> markers), as the end of a run prints it:
# tests/tooling/test_mutation_doc.py checks the doc's table against the newest results file
TABLE_HEAD = ("| module | mutants | killed | equivalent | survived | not run | score | tests |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")


def shown_tests(module):
    """The tests a module's run uses, as the table names them (paths under the module_utils tests, else whole)."""
    return ", ".join(t[len(TESTS_SAN) + 1:] if t.startswith(TESTS_SAN + "/") else t for t in TESTS[module])


def table_row(module, c):
    return "| `%s` | %d | %d | %d | %d | %d | %.1f %% | %s |" % (
        module, c["mutants"], c["killed"], c["equivalent"], c["survived"], c["not_run"], c["score"], shown_tests(module))


def file_table(data):
    """The rows of docs/design.md's table from a results file's figures, the modules in TESTS' order."""
    figures = data["figures"]
    return [table_row(module, dict((key, figures["mutation-%s-%s" % (module, key)]["value"]) for key in (
        "mutants", "killed", "equivalent", "survived", "not_run", "score")))
        for module in TESTS if "mutation-%s-score" % module in figures]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules under plugins/module_utils/_san/, e.g. plan/truth_age.py")
    parser.add_argument("--all", action="store_true", help="every module of TESTS, the smallest first")
    parser.add_argument("--invariants", action="store_true", help="add tests/unit/test_house_rules.py (slow)")
    parser.add_argument("--prove", action="store_true", help="first require a hand-made mutant to fail the tests")
    parser.add_argument("--summarize", action="store_true",
                        help="do not run: count the last run of each module, also one that was stopped")
    parser.add_argument("--resume", action="store_true",
                        help="go on with the last run after tests were added: its survivors again, then the rest")
    parser.add_argument("--record", help="merge the figures into this results file (benchmarks/results/...)")
    parser.add_argument("--table", help="do not run: print docs/design.md's table of this results file")
    args = parser.parse_args(argv)
    if args.table:
        print(TABLE_HEAD)
        for line in file_table(json.loads(Path(args.table).read_text())):
            print(line)
        return
    modules = sorted(TESTS, key=lambda m: (TOP / SAN / m).stat().st_size) if args.all else args.modules
    unknown = [m for m in modules if m not in TESTS]
    if not modules or unknown:
        raise SystemExit("name modules of: %s" % ", ".join(sorted(TESTS)) if not modules else
                         "not a module of the mutation run: %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(TESTS))))
    mutmut = ensure_venv()
    results = {}
    for module in modules:
        if args.summarize:
            work = WORK / module.replace("/", "-")[:-3]
            counts, survivors, work = summarize(mutmut, module, work, environment(work, args.invariants))
        elif args.resume:
            counts, survivors, work = resume_module(mutmut, module, args.invariants)
        else:
            counts, survivors, work = run_module(mutmut, module, args.invariants, args.prove)
        results[module] = counts
        log("%s: %d mutants, %d killed, %d equivalent, %d survived (%d no tests), %d not run -> %.1f %% in %s s; "
            "survivors: %s" % (module, counts["mutants"], counts["killed"], counts["equivalent"], counts["survived"],
                               counts["no_tests"], counts["not_run"], counts["score"], counts["seconds"],
                               work / "survivors.txt"))
        for s in survivors:
            log("  survived %s: %s" % (s["mutant"], s["line"]))
    if args.record:
        record(args.record, results, argv)
    print(TABLE_HEAD)
    for module, c in results.items():
        print(table_row(module, c))


if __name__ == "__main__":
    main(sys.argv[1:])
