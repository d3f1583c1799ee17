"""TEST ONLY. The fixture fleet's inventory pieces, shared by tests/integration/test_fleet_runner.py and
benchmarks/bench_console.py: the interpreter shims of the captured scenarios (fixture_python.py), the array truth
each scenario was captured with, and that array served by the ONTAP simulator (remediate.yml refuses a truth given
as a variable: it reads the array)."""
import contextlib
import json
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("healthy", "unmapped", "mounted", "orphan", "portal_cut")
# nothing listens on port 1: the unreachable host of a fleet
DOWN_HOST = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh",
             "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no"}


def shims(bindir):
    """bindir/python-<scenario>: the interpreter that gives the local machine that scenario's SAN state."""
    bindir.mkdir(parents=True, exist_ok=True)
    for s in SCENARIOS:
        shim = bindir / ("python-" + s)
        shim.write_text('#!/bin/sh\nexec %s %s %s "$@"\n' % (sys.executable, REPO / "tests" / "fleet" / "fixture_python.py", s))
        shim.chmod(0o755)


def fixture_host(bindir, scenario):
    """The inventory variables of one fixture host of `scenario` (shims in bindir)."""
    return {"ansible_connection": "local", "ansible_python_interpreter": str(bindir / ("python-" + scenario))}


def _lab(scenario):
    with tarfile.open(REPO / "tests" / "unit" / "fixtures" / (scenario.split("-without-")[0] + ".tar.gz")) as tar:
        return json.load(tar.extractfile("%s/truth.json" % scenario.split("-without-")[0]))


@contextlib.contextmanager
def scenario_arrays(scenarios, workdir):
    """{scenario: [sanfleet_ontap entry]} while one ONTAP simulator per scenario serves the array that scenario was
    captured with, as truth() gives it: the FC SVM alone for an FC capture (fc_*), else the iSCSI SVM, with the
    NVMe SVM for an NVMe capture. One simulator each: the captures share LUN names whose mappings differ."""
    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_lab_truths
    with contextlib.ExitStack() as stack:
        entries = {}
        for scenario in dict.fromkeys(scenarios):
            lab = _lab(scenario)
            if scenario.startswith("fc_"):
                dataset = from_lab_truths([lab["fc"]], cluster=lab["fc"]["cluster"])
            else:
                dataset = from_lab_truths([lab] + ([lab["nvme"]] if scenario.startswith("nvme_") and lab.get("nvme") else []))
            sim_dir = Path(workdir) / ("ontap-" + scenario)
            sim_dir.mkdir(parents=True, exist_ok=True)
            sim = stack.enter_context(OntapSimulator(dataset, str(sim_dir)))
            entries[scenario] = [sim.options()]
        yield entries


def truth(scenario):
    """The array truth the lab had when the scenario was captured, in the array-truth contract (docs/ontap.md),
    read just now: the ontap_luns records and the one target they cover (the lab's target IQN and portals; for an
    FC capture, fc_*, the FC SVM's records and LIF WWPNs); with the NVMe SVM's truth for an NVMe capture (nvme_*).
    A scenario <capture>-without-<package> (fixture_python.py) has its capture's truth."""
    scenario = scenario.split("-without-")[0]
    lab = _lab(scenario)
    now = time.time()
    if scenario.startswith("fc_"):
        fc = lab["fc"]
        luns, initiators = fc["array_luns"], fc["initiator_wwpns"]
        target = {"cluster": fc["cluster"], "svm": fc["svm"], "iscsi_target_names": [], "iscsi_addresses": [],
                  "fc_wwpns": list(fc["fc_wwpns"])}
    else:
        first = (lab["array_luns"] or [{}])[0]
        luns, initiators = lab["array_luns"], [lab["initiator_iqn"]]
        target = {"cluster": first.get("cluster", "sanlab"), "svm": first.get("svm", "svm_sanlab"),
                  "iscsi_target_names": [lab["target_iqn"]],
                  "iscsi_addresses": [p.rsplit(":", 1)[0] for p in lab["portals"]], "fc_wwpns": []}
    out = {"luns": [dict(r, collected_at=now) for r in luns], "targets": [dict(target, collected_at=now)],
           "problems": [], "initiators": initiators, "collected_at": now,
           "clusters": [{"cluster": target["cluster"], "hostname": "captured", "svm": None, "collected_at": now,
                         "requests": 0, "source": "capture"}]}
    if scenario.startswith("nvme_") and lab.get("nvme"):
        from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
            nvme_array_truth)
        out["nvme"] = dict(nvme_array_truth(lab["nvme"]), collected_at=now)
    return out
