"""Review rev-ci35 of 9efc062: the captures are removed by an atexit handler of each xdist worker, but xdist gives
a worker 10 seconds to come down (xdist.workermanage.NodeManager.EXIT_TIMEOUT, execnet Group.terminate) and then
kills it: whatever of the rmtree is left then stays in the temp folder.

Seen for real: `TMPDIR=<fresh> python -m pytest -n 2 tests/unit` (1363 passed) left two sanfleet-captures-*
folders, 30 and 13 unpacked trees, 207 MB: each worker holds ~40 trees (~55k files, every capture twice, see
tests/unit/plugins/module_utils/test_rev_ci35_captures.py) and deleting them on the shared 2 cores took longer
than the 10 s. test_no_temp_left.py runs a slice of 2 tests that unpacks a few trees, which is deleted in time.

Deterministic here: the slice of test_no_temp_left, plus a plugin that makes each worker's exit take 12 s (as a
loaded CI runner deleting ~55k files does); the captures must still be gone. A cleanup in the worker's session
(pytest_sessionfinish, before the worker reports back) does not depend on the exit time.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNPACKING = [
    "tests/unit/plugins/module_utils/test_san_read.py::test_captured_fixture_reads_cleanly",
    "tests/unit/plugins/module_utils/test_generations.py::test_node_records_and_sessions",
]
SLOW_EXIT = '''
import atexit, time
def pytest_sessionfinish(session):
    # registered last, so it runs first at exit: the worker's exit takes as long as a slow rmtree would
    if hasattr(session.config, "workerinput"):
        atexit.register(time.sleep, 12)
'''


def test_captures_are_gone_when_a_worker_exits_slowly(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slow_worker_exit.py").write_text(SLOW_EXIT)
    env = dict(os.environ, TMPDIR=str(temp),
               PYTHONPATH=os.pathsep.join([str(plugins)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                          "-p", "slow_worker_exit", "--basetemp", str(tmp_path / "basetemp")] + UNPACKING,
                         cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout, run.stdout[-1000:]
    left = [name for name in os.listdir(str(temp)) if name.startswith("sanfleet-captures-")]
    assert left == []
