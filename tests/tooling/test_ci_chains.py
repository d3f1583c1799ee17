"""scripts/test.sh runs the stages that need no VM, and the other generations' labs, as chains beside bookworm's lab
(`stages_beside_lab`): a stage that fails must be counted as failed and the chain must go on to its next stage. The
bullseye lab once failed inside a function that turned errexit back on (`set -e` after its tests), and its return
ended the whole chain: no trixie lab, no second bookworm VM, no result file for any of them. The script's own functions are
taken from it and run with stand-in stages."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_SH = ROOT / "scripts" / "test.sh"


def _function(text, name):
    """The text of a top-level shell function of test.sh, from its line `name() {` to the closing `}` in column 0."""
    match = re.search(r"^%s\(\) \{.*?^\}$" % re.escape(name), text, re.S | re.M)
    assert match, name
    return match.group(0)


def _run_chain(stages):
    text = TEST_SH.read_text()
    script = "\n".join([
        "set -euo pipefail",
        "STAGES='%s'" % " ".join(name for name, _ in stages),
        "RESULTS=() failed=0",
        _function(text, "with_cpu"),
        _function(text, "stages_beside_lab"),
        _function(text, "wait_beside_lab"),
    ] + ["%s() {\n%s\n}" % (name.replace("-", "_"), body) for name, body in stages] + [
        "BG_PIDS=() BG_DIR='' BG_NAMES=()",
        "NICE=0 stages_beside_lab %s" % " ".join("%s:%s" % (name, name.replace("-", "_")) for name, _ in stages),
        "wait_beside_lab",
        "printf '%s\\n' \"${RESULTS[@]}\"",
        "exit $failed",
    ])
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)


def test_a_stage_that_fails_with_errexit_on_is_counted_and_the_chain_goes_on():
    # as lab_generation did: its tests fail with errexit off, errexit is turned back on, the function returns 1
    proc = _run_chain([
        ("lab-bullseye", "  set +e; false; rc=$?; set -e\n  echo bullseye ran\n  return $rc"),
        ("lab-trixie", "  echo trixie ran"),
    ])
    assert "trixie ran" in proc.stdout, proc.stdout + proc.stderr
    results = [ln for ln in proc.stdout.splitlines() if "(beside the lab)" in ln]
    assert results[0].startswith("lab-bullseye") and "FAILED(rc=1)" in results[0], results
    assert results[1].startswith("lab-trixie") and " ok " in results[1], results
    assert proc.returncode == 1


def test_a_chain_of_passing_stages_passes():
    proc = _run_chain([("lint", "  true"), ("docs", "  echo docs ran")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "docs ran" in proc.stdout


def test_each_stage_names_the_cpu_its_processes_used():
    # CI's two cores are shared by the VMs and the stages beside them: the summary says what each stage cost
    burn = "  python3 -c 'import time\nt = time.process_time()\nwhile time.process_time() - t < 1.2: pass'"
    proc = _run_chain([("unit", burn), ("docs", "  true")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {ln.split()[0]: ln for ln in proc.stdout.splitlines() if "(beside the lab)" in ln}
    cpu = {name: int(re.search(r"cpu (\d+)s", line).group(1)) for name, line in results.items()}
    assert cpu["unit"] >= 1 and cpu["docs"] == 0, results
