"""The target side (plugins/modules, plugins/module_utils) runs on Python 3.6 to 3.13 (docs/design.md "Python
versions"). The lint stage's static check (scripts/test.sh TARGET_CHECK, vermin with 3.6 as the oldest target) passes
on the tree and fails on each construct the house rules name as newer than 3.6; the unit stages py3.6 and py3.13 run
the tests on those Pythons."""
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_SH = (ROOT / "scripts" / "test.sh").read_text()
TARGET_DIRS = ("plugins/modules", "plugins/module_utils")


def target_check():
    """The argv of scripts/test.sh's TARGET_CHECK, without the folders it checks."""
    argv = shlex.split(re.search(r"^TARGET_CHECK=\((.*)\)$", TEST_SH, re.M).group(1))
    assert argv[-len(TARGET_DIRS):] == list(TARGET_DIRS), argv
    return argv[:-len(TARGET_DIRS)]


def run_check(*paths):
    if shutil.which(target_check()[0]) is None:
        pytest.fail("%s is not installed: scripts/setup.sh installs it (requirements-dev.txt)" % target_check()[0])
    return subprocess.run(target_check() + [str(p) for p in paths], capture_output=True, text=True, check=False,
                          cwd=ROOT)


def test_the_target_side_needs_nothing_newer_than_python_3_6():
    res = run_check(*TARGET_DIRS)
    assert res.returncode == 0, res.stdout + res.stderr


# what the house rules forbid on the target side (docs/design.md "Python versions"), each as a module would write it
NEWER = {
    "future annotations (3.7)": "from __future__ import annotations\n",
    "dataclasses (3.7)": "import dataclasses\n",
    "subprocess capture_output (3.7)": "import subprocess\n\n\ndef f():\n    return subprocess.run(['ls'], capture_output=True)\n",
    "subprocess text (3.7)": "import subprocess\n\n\ndef f():\n    return subprocess.run(['ls'], stdout=subprocess.PIPE, text=True)\n",
    "walrus (3.8)": "def f(x):\n    if (y := x):\n        return y\n",
    "positional-only parameters (3.8)": "def f(a, /, b):\n    return a\n",
    "os.memfd_create unguarded (3.8)": "import os\n\n\ndef f():\n    return os.memfd_create('x')\n",
    "str.removeprefix (3.9)": "def f():\n    return 'sdx'.removeprefix('sd')\n",
    "dict union (3.9)": "def f(a):\n    return dict(a) | {'x': 1}\n",
}


@pytest.mark.parametrize("construct", sorted(NEWER))
def test_the_check_fails_on_a_construct_newer_than_python_3_6(tmp_path, construct):
    module = tmp_path / "plugins" / "module_utils" / "_san" / "newer.py"
    module.parent.mkdir(parents=True)
    module.write_text("# -*- coding: utf-8 -*-\n" + NEWER[construct])
    res = run_check(module)
    assert res.returncode != 0 and "newer.py" in res.stdout, (construct, res.stdout, res.stderr)
