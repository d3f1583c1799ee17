"""The public audit and remediate playbooks, as the README shows them, from an ansible-core 2.16 controller against
the lab guest whose interpreter is Python 3.6 (RHEL 8's platform-python, SLES 15's python3): pyenv's 3.6.15 of this
machine copied into the guest at the same path, set as the host's ansible_python_interpreter. The audit must name an
unmapped LUN stale, the check run plan its removal, and the run of that approved plan remove it.

scripts/test.sh stage lab-bookworm2 runs it on bookworm's second VM, after the other generations' labs, in the
environment of `scripts/setup.sh --core 2.16.19` (marker target_python36; the lab stage leaves it out: ansible-core
2.17 and later run no module on 3.6).
"""
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON36 = Path(os.environ.get("SANFLEET_PYTHON36") or "/root/.pyenv/versions/3.6.15")
# what the modules never import, left out of the copy (12 MB instead of 160)
LEFT_OUT = ("lib/python3.6/test", "lib/python3.6/site-packages", "lib/python3.6/idlelib", "lib/python3.6/tkinter",
            "lib/python3.6/ensurepip", "lib/python3.6/lib2to3", "lib/python3.6/config-3.6m-x86_64-linux-gnu",
            "include", "share")

try:
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truth
except ImportError:  # pragma: no cover - plain checkout
    sys.path.insert(0, str(ROOT / "tests"))
    from ontap_sim import OntapSimulator, from_lab_truth  # noqa: E402

pytestmark = [pytest.mark.lab, pytest.mark.target_python36]


def python36_tarball():
    """pyenv's Python 3.6 as a tar.gz of its own path (its binary finds libpython by that RUNPATH)."""
    if not (PYTHON36 / "bin" / "python3.6").is_file():
        pytest.fail("no Python 3.6 at %s (pyenv install 3.6.15, or SANFLEET_PYTHON36)" % PYTHON36)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(str(PYTHON36), arcname=str(PYTHON36).lstrip("/"), filter=lambda ti: None if (
            "__pycache__" in ti.name.split("/")
            or any(ti.name == "%s/%s" % (str(PYTHON36).lstrip("/"), d) or
                   ti.name.startswith("%s/%s/" % (str(PYTHON36).lstrip("/"), d)) for d in LEFT_OUT)) else ti)
    return buf.getvalue()


def playbook(site, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_REPORT_DIR", "ONTAP_"))}
    # pipelining, as the other lab tests run: a module is one ssh round trip under TCG, not four
    env.update(ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="False",
               ANSIBLE_SHOW_CUSTOM_STATS="1", ANSIBLE_PIPELINING="True")
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", "inventory.ini"] + list(args), cwd=str(site), env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    sys.stderr.write("[python3.6] ansible-playbook %s: rc=%s %.1fs\n" % (" ".join(args[:1]), proc.returncode,
                                                                         time.monotonic() - t0))
    proc.out = proc.stdout + proc.stderr
    return proc


def test_audit_and_remediate_from_ansible_core_2_16_on_a_python_3_6_host(lab, tmp_path):
    version = subprocess.run(["ansible", "--version"], capture_output=True, text=True, check=True).stdout
    assert re.match(r"ansible \[core 2\.16\.", version), (
        "run with ansible-core 2.16 (scripts/test.sh stage lab-bookworm2: scripts/setup.sh --core 2.16.19): %s"
        % version.splitlines()[0])
    t0 = time.monotonic()
    lab.reset()
    t1 = time.monotonic()
    rc, out, err = lab.ssh("tar -xzf - -C / && %s/bin/python3.6 -c 'import sys; print(sys.version_info[:2])'"
                           % PYTHON36, timeout=300, input=python36_tarball())
    sys.stderr.write("[python3.6] reset %.1fs, Python 3.6 copied in %.1fs\n" % (t1 - t0, time.monotonic() - t1))
    assert rc == 0 and out.strip() == "(3, 6)", (rc, out, err)
    stale = lab.truth()["mapped"]["2"]
    lab.unmap_lun(2)
    assert lab.wait_paths(stale, state="failed", timeout=60)["ok"]

    # the host as an inventory names it, its interpreter the 3.6 one; -e @ontap.yml as the README shows it
    inventory = lab.inventory_path(str(tmp_path / "lab.ini")).read_text()
    (tmp_path / "inventory.ini").write_text(inventory.replace("ansible_python_interpreter=/usr/bin/python3",
                                                              "ansible_python_interpreter=%s/bin/python3.6" % PYTHON36))
    (tmp_path / "sim").mkdir()
    with OntapSimulator(from_lab_truth(lab.truth()), str(tmp_path / "sim")) as sim:
        (tmp_path / "ontap.yml").write_text(json.dumps({"sanfleet_ontap": [sim.options()]}))
        t0 = time.monotonic()
        facts = subprocess.run(["ansible", "-i", "inventory.ini", "sanlab", "-m", "ansible.builtin.setup", "-a",
                                "gather_subset=!all,!min,python"], cwd=str(tmp_path), capture_output=True,
                               text=True, timeout=300, check=False)
        sys.stderr.write("[python3.6] the host's Python, as its modules see it: %.1fs\n" % (time.monotonic() - t0))
        assert '"major": 3' in facts.stdout and '"minor": 6' in facts.stdout, facts.stdout[-2000:]

        audit = playbook(tmp_path, "sanfleet.remediation.audit", "-e", "@ontap.yml")
        assert audit.returncode == 0, audit.out[-4000:]
        report = json.loads((tmp_path / "sanfleet-reports" / "hosts" / "sanlab.json").read_text())
        assert ("stale_unmapped", stale) in [(v["kind"], v["name"]) for v in report["verdicts"]], report["verdicts"]

        check = playbook(tmp_path, "sanfleet.remediation.remediate", "-e", "@ontap.yml", "-e", "sanfleet_hosts=sanlab",
                         "--check", "--diff")
        assert check.returncode == 0, check.out[-4000:]
        plan = json.loads((tmp_path / "sanfleet-reports" / "sanfleet-plan.json").read_text())["sanlab"]
        assert ("flush_map", stale) in [(s["action"], s["target"]) for s in plan["steps"]], plan["steps"]

        run = playbook(tmp_path, "sanfleet.remediation.remediate", "-e", "@ontap.yml", "-e", "sanfleet_hosts=sanlab",
                       "-e", "sanfleet_approved_plan_file=sanfleet-reports/sanfleet-plan.json")
        assert run.returncode == 0, run.out[-4000:]
    rc, out, _err = lab.ssh("dmsetup ls --target multipath", timeout=60)
    assert rc == 0 and stale not in out, out
    executed = json.loads((tmp_path / "sanfleet-reports" / "hosts" / "sanlab.json").read_text())["remediation"]
    assert ("flush_map", stale) in [(s["action"], s["target"]) for s in executed["executed"]], executed
