"""The lab conftest's look at the guest after a failed lab test (tests/integration/conftest.py): a guest that does
not answer gets its console in the failed test's report and a fresh VM before the next lab test (before that
test's fixtures, a module-scoped one of the next file too); one that answers is reset, and booted again only when
the reset fails; a VM that cannot be booted again fails every later lab test at once. A pytest session in a
temporary directory runs the real hooks against a Lab stand-in that records what was asked of it."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAB_CONFTEST = ROOT / "tests" / "integration" / "conftest.py"

CONFTEST = '''
import importlib.util
import json
import os

import pytest

spec = importlib.util.spec_from_file_location("lab_conftest", %(conftest)r)
lab_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab_conftest)
pytest_configure = lab_conftest.pytest_configure
pytest_runtest_makereport = lab_conftest.pytest_runtest_makereport
pytest_runtest_setup = lab_conftest.pytest_runtest_setup
GUEST = lab_conftest.GUEST
LabError = lab_conftest.LabError


class StandIn:
    """What the hook and the fixture ask of a Lab; `fate` says how the guest answers."""
    def __init__(self):
        self.calls = []
        self.fate = {"health": None, "reset": None, "restart": None}

    def health(self):
        self.calls.append("health")
        return self.fate["health"]

    def console_tail(self):
        return "[  99.1] Oops: general protection fault"

    def reset(self):
        self.calls.append("reset")
        if self.fate["reset"]:
            raise LabError(self.fate["reset"])

    def restart(self):
        self.calls.append("restart")
        if self.fate["restart"]:
            raise LabError(self.fate["restart"])
        self.fate["health"] = None


STAND_IN = StandIn()


@pytest.fixture(scope="session")
def lab():
    GUEST["lab"] = STAND_IN
    yield STAND_IN
    with open(os.environ["CALLS"], "w") as f:
        json.dump(STAND_IN.calls, f)
'''


def run_session(tmp_path, tests, mark=True):
    (tmp_path / "conftest.py").write_text(CONFTEST % {"conftest": str(LAB_CONFTEST)})
    (tmp_path / "test_guest.py").write_text("import pytest\n\n%s\n\n%s" % (
        "pytestmark = pytest.mark.lab" if mark else "", tests))
    calls = tmp_path / "calls.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--junitxml", str(tmp_path / "junit.xml"), "-o", "addopts=", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, CALLS=str(calls), SANLAB="1"))
    outcomes = {}
    for case in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = (kinds[0] if kinds else "passed",
                                      " ".join((child.get("message") or "") + (child.text or "") for child in case))
    assert calls.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, outcomes, json.loads(calls.read_text())


def test_a_guest_that_stops_answering_shows_its_console_and_the_next_lab_test_gets_a_fresh_vm(tmp_path):
    proc, outcomes, calls = run_session(tmp_path, '''
def test_breaks_the_guest(lab):
    lab.fate["health"] = "no answer over ssh within 40s"
    assert False, "the test's own failure"

def test_after(lab):
    assert lab.calls == ["health", "restart"]
''')
    assert outcomes["test_breaks_the_guest"][0] == "failure"
    assert outcomes["test_after"][0] == "passed", outcomes
    # the failed test's report carries why and the kernel's last words
    assert "no answer over ssh within 40s" in proc.stdout and "Oops: general protection fault" in proc.stdout
    assert calls == ["health", "restart"]


def test_a_guest_that_answers_is_reset_and_booted_again_only_when_the_reset_fails(tmp_path):
    proc, outcomes, calls = run_session(tmp_path, '''
def test_fails_on_a_live_guest(lab):
    assert False

def test_after_a_reset(lab):
    assert lab.calls == ["health", "reset"]
    lab.fate["reset"] = "agent reset failed: a map would not go"
    assert False

def test_after_a_failed_reset(lab):
    assert lab.calls == ["health", "reset", "health", "reset", "restart"]

def test_after_a_pass(lab):
    assert lab.calls == ["health", "reset", "health", "reset", "restart"]
''')
    assert [outcomes[name][0] for name in ("test_fails_on_a_live_guest", "test_after_a_reset",
                                           "test_after_a_failed_reset", "test_after_a_pass")] == \
        ["failure", "failure", "passed", "passed"], outcomes
    assert "sanlab guest" not in proc.stdout            # a guest that answers adds no console to the report
    assert calls == ["health", "reset", "health", "reset", "restart"]


def test_a_vm_that_cannot_boot_again_fails_every_later_lab_test_at_once_with_the_reason(tmp_path):
    proc, outcomes, calls = run_session(tmp_path, '''
import pytest

def test_kills_the_guest(lab):
    lab.fate["health"] = "qemu is not running"
    lab.fate["restart"] = "boot.sh start failed (rc 1): no SSH after 300s"
    assert False

def test_second(lab):
    pass

def test_third(lab):
    pass

@pytest.mark.skip(reason="no lab mark needed to skip")
def test_skipped():
    pass
''')
    assert outcomes["test_second"][0] == outcomes["test_third"][0] == "error", outcomes
    for name in ("test_second", "test_third"):
        assert "qemu is not running, and booting it again failed: boot.sh start failed" in outcomes[name][1]
    assert calls == ["health", "restart"]                # booted again once, not once per test


def test_tests_without_the_lab_mark_are_left_alone(tmp_path):
    proc, outcomes, calls = run_session(tmp_path, '''
def test_plain_fails(lab):
    lab.fate["health"] = "qemu is not running"
    assert False

def test_plain_after(lab):
    assert lab.calls == []
''', mark=False)
    assert [outcomes[name][0] for name in ("test_plain_fails", "test_plain_after")] == ["failure", "passed"]
    assert calls == []


def test_the_next_files_module_fixture_finds_a_fresh_vm_not_the_dead_guest(tmp_path):
    """The test after a guest died opens another file, whose module-scoped fixture resets the lab: the fresh VM is
    booted before that fixture runs. Fails when the module's fixture meets the dead guest first (its reset fails
    and every test of the file errors)."""
    (tmp_path / "test_next.py").write_text('''import pytest

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def guest(lab):
    if lab.fate["health"]:
        raise AssertionError("the module's fixture met the dead guest")
    lab.reset()
    return lab


def test_first_of_next_file(guest):
    assert guest.calls == ["health", "restart", "reset"]


def test_second_of_next_file(guest):
    pass
''')
    proc, outcomes, calls = run_session(tmp_path, '''
def test_kills_the_guest(lab):
    lab.fate["health"] = "qemu is not running"
    assert False
''')
    assert outcomes["test_kills_the_guest"][0] == "failure"
    assert outcomes["test_first_of_next_file"][0] == outcomes["test_second_of_next_file"][0] == "passed", outcomes
    assert calls == ["health", "restart", "reset"]
