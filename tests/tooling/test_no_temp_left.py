"""The unit tests leave nothing in the temp folder: the captured lab fixtures they unpack (~1,400 files each, a
few dozen per run and xdist worker, and the suite runs several times per CI job) once filled a CI disk in the
ansible-core matrix stage. Each test runs a slice of the suite that unpacks captures of every generation, with
TMPDIR set to a fresh folder, under xdist as CI runs it, and looks in that folder afterwards.

Review rev-ci35 found the first cleanup (an atexit handler per worker) too late: xdist gives a worker 10 seconds
to come down (xdist.workermanage.NodeManager.EXIT_TIMEOUT, execnet Group.terminate), then kills it, and a full
`-n 2` run on 2 loaded cores left 207 MB. The slow-exit test makes each worker's exit take 12 s, as deleting ~55k
files on a loaded CI runner does; the cleanup in the worker's session (tests/unit/conftest.py) does not depend on
the exit time."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNPACKING = [
    "tests/unit/plugins/module_utils/_san/observe/test_read.py::test_captured_fixture_reads_cleanly",
    "tests/unit/test_generations.py::test_node_records_and_sessions",
]
SLOW_EXIT = '''
import atexit, time
def pytest_sessionfinish(session):
    # registered last, so it runs first at exit: the worker's exit takes as long as a slow rmtree would
    if hasattr(session.config, "workerinput"):
        atexit.register(time.sleep, 12)
'''


def run_slice(tmp_path, plugin=None):
    """What the unpacking slice leaves in a fresh TMPDIR, after it passed (with `plugin` loaded if given)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    argv = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
            "--basetemp", str(tmp_path / "basetemp")]
    if plugin:
        plugins = tmp_path / "plugins"
        plugins.mkdir()
        (plugins / (plugin[0] + ".py")).write_text(plugin[1])
        env["PYTHONPATH"] = os.pathsep.join([str(plugins)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        argv += ["-p", plugin[0]]
    run = subprocess.run(argv + UNPACKING, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) >= 6, run.stdout[-1000:]     # the captures were there and read
    return sorted(os.listdir(str(temp)))


def test_a_run_that_unpacks_captures_leaves_the_temp_folder_empty(tmp_path):
    assert run_slice(tmp_path) == []


def test_captures_are_gone_when_a_worker_exits_slowly(tmp_path):
    left = [name for name in run_slice(tmp_path, ("slow_worker_exit", SLOW_EXIT))
            if name.startswith("sanfleet-captures-")]
    assert left == []
