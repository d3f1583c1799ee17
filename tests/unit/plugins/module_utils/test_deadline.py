import time

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils import deadline


def test_run_returns_output_and_rc():
    res = deadline.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert (res.rc, res.stdout, res.stderr) == (3, "out\n", "err\n")


def test_run_gives_up_at_the_deadline():
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        deadline.run(["sleep", "30"], timeout=0.5, what="sleep on a hung device")
    assert time.monotonic() - started < 3
    assert "sleep on a hung device" in str(info.value)


def test_run_kills_the_whole_process_group():
    # a grandchild holding the pipe open must not keep us waiting either
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded):
        deadline.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert time.monotonic() - started < 3


def test_run_refuses_a_shell_line():
    with pytest.raises(ValueError):
        deadline.run("multipath -ll", timeout=1)


def _answer(x):
    return {"twice": x * 2}


def _hang():
    time.sleep(60)


def _boom():
    raise OSError("no such device")


def test_call_returns_the_child_result():
    assert deadline.call(_answer, (21,), timeout=5) == {"twice": 42}


def test_call_abandons_a_child_past_its_deadline():
    started = time.monotonic()
    with pytest.raises(deadline.DeadlineExceeded) as info:
        deadline.call(_hang, timeout=0.5, what="read /sys/block/sdz/device/vpd_pg80")
    assert time.monotonic() - started < 3
    assert "sdz" in str(info.value)


def test_call_reports_the_child_exception():
    with pytest.raises(RuntimeError, match="no such device"):
        deadline.call(_boom, timeout=5)
