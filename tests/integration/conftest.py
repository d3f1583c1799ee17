"""pytest fixtures for tests against the SAN lab VM (tests/lab).

- `lab` (session): builds the image (cached outside the checkout) and boots ONE VM for the whole run.
  SANLAB_PORT (2222; +N per pytest-xdist worker) picks the ssh port, SANLAB_REUSE=1 attaches to a VM already
  running on that port (it is then left running), SANLAB_KEEP=1 leaves the VM running at the end.
- `clean_lab` (function): `lab.reset()` (back to the baseline: LUN 0 placeholder + NETAPP LUNs 1..3, 2 paths
  each), then the lab.
- The fixture holds /tmp/sanfleet-lab-<port>.lock for the whole session: two pytest sessions never share one VM
  at the same time (the second waits up to SANLAB_LOCK_TIMEOUT s, default 1800).
- Tests that need the VM carry `@pytest.mark.lab`. They are skipped only when SANLAB=0 is set, with that reason;
  otherwise a lab that cannot be built or booted is an error, never a silent skip.
- A lab test that fails is followed by a look at the guest (`Lab.health`: qemu, a shell, multipathd). A guest that
  does not answer gets its console's tail added to the failed test's report, and the next lab test boots a fresh
  VM first (`Lab.restart`); one that answers is brought back to the baseline (`lab.reset()`), and booted again only
  when that fails. One broken test then fails alone, instead of every test after it failing on its leftovers
  (or waiting out every deadline on a dead guest). A VM that cannot be booted again fails every later lab test
  at once, with the reason.
- SANLAB_SUITE (bullseye|bookworm|trixie, default bookworm) picks the Debian generation of the VM (multipath-tools
  0.8.5 / 0.9.4 / 0.11.1). Tests that must pass on every generation also carry `@pytest.mark.every_suite`;
  scripts/test.sh runs all lab tests on bookworm and `-m "lab and every_suite"` on the other two.
"""
import json
import os
import sys
import time
from pathlib import Path

import pytest

LAB_DIR = Path(__file__).resolve().parents[1] / "lab"
# tests/fleet: the fixture fleet's helpers (fleet_hosts), shared with benchmarks/bench_console.py
for _helpers in (LAB_DIR, LAB_DIR.parent / "fleet"):
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))

from sanlab import Lab, LabError  # noqa: E402

# the session's Lab, and what the last failed lab test left: {"lab": Lab, "after": nodeid, "why": str,
# "dead": str}
GUEST = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the SAN lab VM (real kernel); SANLAB=0 skips them with a reason")
    config.addinivalue_line("markers", "every_suite: a lab test that scripts/test.sh runs on every Debian generation "
                                       "(SANLAB_SUITE=bullseye|bookworm|trixie), not only on bookworm")
    config.addinivalue_line("markers", "target_python36: a lab test of a host whose interpreter is Python 3.6, from an "
                                       "ansible-core 2.16 controller: scripts/test.sh stage lab-bookworm2 runs it, the "
                                       "lab stage leaves it out")
    config.addinivalue_line("markers", "bookworm_second_vm: a bookworm lab test that scripts/test.sh runs on bookworm's "
                                       "second VM (stage lab-bookworm2, beside bookworm's lab), not in the lab stage")
    config.addinivalue_line("markers", "every_core: a test without the lab whose result depends on how the ansible-core "
                                       "version templates; scripts/test.sh (stage matrix) runs it on every "
                                       "ansible-core of SANFLEET_CORE_MATRIX too")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SANLAB") != "0":
        return
    skip = pytest.mark.skip(reason="SANLAB=0 is set: SAN lab VM tests disabled on purpose")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)


def _port(config):
    port = int(os.environ.get("SANLAB_PORT", "2222"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        port += int(worker[2:])
    return port


@pytest.fixture(scope="session")
def lab(request):
    if os.environ.get("SANLAB") == "0":
        pytest.skip("SANLAB=0 is set: SAN lab VM tests disabled on purpose")
    lab = Lab(port=_port(request.config))
    # one pytest session per VM at a time: a second session on the same port waits for the first one
    lab.acquire(timeout=float(os.environ.get("SANLAB_LOCK_TIMEOUT", "1800")))
    reuse = os.environ.get("SANLAB_REUSE") == "1"
    started_here = not (reuse and lab.is_running())
    t0 = time.monotonic()
    lab.start(reuse=reuse)
    metrics = {"port": lab.port, "suite": lab.suite, "started_here": started_here, "boot_to_ssh_s": lab.boot_seconds,
               "start_total_s": round(time.monotonic() - t0, 1), "accel": lab.accel_used()}
    GUEST.clear()
    GUEST["lab"] = lab
    GUEST["cpu_at_start"] = _qemu_cpu(lab)
    yield lab
    GUEST_CPU_AT_END["cpu"] = _qemu_cpu(lab)  # the session's last test ends after this teardown (and the VM's stop)
    GUEST.clear()
    metrics.update(qemu_rss_mib=lab.qemu_rss_mib())
    try:
        metrics["guest_mem_used_mib"] = lab.guest_mem_used_mib()
    except Exception as e:  # the VM may be gone; the numbers are informative only
        metrics["guest_mem_used_mib"] = "n/a: %s" % e
    try:
        (lab.run_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    except OSError:
        pass
    sys.stderr.write("\n[sanlab] %s\n" % json.dumps(metrics))
    try:
        if started_here and os.environ.get("SANLAB_KEEP") != "1":
            lab.stop()
    finally:
        lab.release()


@pytest.fixture(scope="session", autouse=True)
def reports_outside_the_checkout(tmp_path_factory):
    """The playbooks write their reports to ./sanfleet-reports of the directory they run from, and several lab tests
    run them from the checkout: without this, a lab run leaves reports in the collection, and a test beside it that
    watches the collection for stray writes (test_failure_paths) sees them as its own. A SANFLEET_REPORT_DIR the
    caller set is kept; tests that exercise the default strip it and run from their own directory."""
    if os.environ.get("SANFLEET_REPORT_DIR"):
        yield
        return
    os.environ["SANFLEET_REPORT_DIR"] = str(tmp_path_factory.mktemp("sanfleet-reports"))
    try:
        yield
    finally:
        os.environ.pop("SANFLEET_REPORT_DIR", None)


@pytest.fixture
def clean_lab(lab):
    lab.reset()
    return lab


def _is_lab_test(item):
    return item.get_closest_marker("lab") is not None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    lab = GUEST.get("lab")
    if not report.failed or lab is None or not _is_lab_test(item) or GUEST.get("dead"):
        return
    GUEST["after"] = item.nodeid
    why = lab.health()
    if why:
        GUEST["why"] = why
        report.sections.append(("sanlab guest", "the guest is unhealthy after this test: %s\n--- console (last lines) "
                                                "---\n%s" % (why, lab.console_tail())))


# the guest's CPU per lab test, setup (the reset) and teardown included: {nodeid: qemu CPU seconds}. Under TCG the
# guests' work is most of CI's (scripts/test.sh), so the session ends with the tests that cost the most of it
GUEST_CPU = {}
GUEST_CPU_AT_END = {}


def _qemu_cpu(lab):
    return (lab.qemu_pid(), lab.qemu_cpu_seconds()) if lab is not None else (None, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = _qemu_cpu(GUEST.get("lab"))
    yield
    if not _is_lab_test(item):
        return
    # the session fixture is set up inside the first lab test's protocol: its CPU then counts from the fixture's start
    before = before if before[0] is not None else GUEST.get("cpu_at_start", (None, None))
    pid, after = _qemu_cpu(GUEST["lab"]) if "lab" in GUEST else GUEST_CPU_AT_END.get("cpu", (None, None))
    if after is not None:
        # a VM booted again during the test (another pid) started from 0: all its CPU so far is the test's
        GUEST_CPU[item.nodeid] = after - before[1] if pid == before[0] and before[1] is not None else after


def pytest_terminal_summary(terminalreporter):
    if not GUEST_CPU:
        return
    terminalreporter.write_sep("=", "guest CPU (the lab VM's qemu) per lab test, the most first: %.0f s in all"
                               % sum(GUEST_CPU.values()))
    for nodeid, seconds in sorted(GUEST_CPU.items(), key=lambda kv: -kv[1])[:12]:
        terminalreporter.write_line("%8.1fs %s" % (seconds, nodeid))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a lab test that follows a failed one: the baseline again, or a fresh VM when the guest does not answer
    or cannot be reset (module docstring). A hook, not a fixture: it runs before any fixture of the test is set up,
    the module-scoped ones of the next test file too (which would reset a dead guest first)."""
    lab = GUEST.get("lab")
    if lab is None or not _is_lab_test(item):
        return
    if GUEST.get("dead"):
        pytest.fail("the lab VM is gone: %s" % GUEST["dead"], pytrace=False)
    after = GUEST.pop("after", None)
    if after is None:
        return
    why = GUEST.pop("why", None)
    if why is None:
        try:
            lab.reset()
            return
        except LabError as e:
            why = "reset failed: %s" % str(e)[-500:]
    sys.stderr.write("\n[sanlab] the guest after %s: %s; booting a fresh VM\n" % (after, why))
    t0 = time.monotonic()
    try:
        lab.restart()
    except LabError as e:
        GUEST["dead"] = "%s, and booting it again failed: %s" % (why, str(e)[-1000:])
        pytest.fail("the lab VM is gone: %s" % GUEST["dead"], pytrace=False)
    sys.stderr.write("[sanlab] fresh VM in %.0f s\n" % (time.monotonic() - t0))
