"""The unit tests leave nothing in the temp folder: the captured lab fixtures they unpack (~1,400 files each, a
few dozen per run and xdist worker, and the suite runs several times per CI job) once filled a CI disk in the
ansible-core matrix stage. Runs a slice of the suite that unpacks captures of every generation, with TMPDIR set to
a fresh folder, under xdist as CI runs it, and looks in that folder afterwards."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNPACKING = [
    "tests/unit/plugins/module_utils/test_san_read.py::test_captured_fixture_reads_cleanly",
    "tests/unit/plugins/module_utils/test_generations.py::test_node_records_and_sessions",
]


def test_a_run_that_unpacks_captures_leaves_the_temp_folder_empty(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                          "--basetemp", str(tmp_path / "basetemp")] + UNPACKING,
                         cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) >= 6, run.stdout[-1000:]     # the captures were there and read
    assert sorted(os.listdir(str(temp))) == []
