"""A FlashArray beside the ONTAP cluster through the public playbooks: sanfleet_pure in the inventory, read by the
ontap_truth role (the array_truth lookup) into the same truth. Fixture hosts (tests/fleet/fixture_python.py: the lab
captures, whose LUNs are the ONTAP-like target's), the ONTAP simulator and the FlashArray simulator
(tests/pure_sim: Pure's REST 2.x answering with the fixtures fixtures/pure/SOURCES.md cites). No VM and no
Pure device on these hosts: test_pure_lab.py judges a FlashArray's LUNs on the lab's kernel."""
import json

from ansible_collections.sanfleet.remediation.tests.integration.test_failure_paths import (  # noqa: F401  # pylint: disable=unused-import
    fleet, run_playbook)
from ansible_collections.sanfleet.remediation.tests.pure_sim import PureSimulator
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.pure_fake import API_TOKEN, SESSION_TOKEN

HOST = "node01-unmapped"
STALE = "3600a098038304c61622d3030322b4162"


def kinds(doc):
    return sorted((v["kind"], v.get("name")) for v in doc["verdicts"])


def _report(run):
    return json.loads((run.reports / "hosts" / (HOST + ".json")).read_text())


def test_a_flasharray_in_the_inventory_is_read_beside_the_cluster_and_changes_no_ontap_verdict(fleet, tmp_path):
    """The audit and the remediate check run with sanfleet_pure: the FlashArray is logged in to and read (its hosts,
    volumes, connections and ports), it serves nothing to this host, and the ONTAP LUNs are judged as without it. The
    audit passes its array gate: the FlashArray's NVMe part, which is not read, leaves nothing unjudged on a host
    without an NVMe-oF controller. The token is in no output, at -vvv. It is given as docs/ontap.md shows, a template
    of another (vaulted) variable: the lookup read sanfleet_pure untemplated, and sent the template's text as the
    token."""
    with PureSimulator(str(tmp_path)) as pure:
        given = {"sanfleet_pure": [pure.entry(api_token="{{ vault_fa1_token }}")], "vault_fa1_token": API_TOKEN}
        alone = run_playbook(fleet, "remediate", "pure-without", "--check", "-e", "sanfleet_hosts=san",
                             verbosity=None, hosts={HOST: fleet["hosts"][HOST]})
        audit = run_playbook(fleet, "audit", "pure-audit", "-e", "sanfleet_hosts=san", verbosity="-vvv",
                             hosts={HOST: fleet["hosts"][HOST]}, group_vars=given)
        check = run_playbook(fleet, "remediate", "pure-check", "--check", "-e", "sanfleet_hosts=san",
                             verbosity=None, hosts={HOST: fleet["hosts"][HOST]}, group_vars=given)
        read = sorted(set(path.rsplit("/", 1)[-1] for _method, path, _q, _h, _k in pure.fake.requests))
    assert audit.returncode == 0, audit.stdout[-3000:]
    assert {"login", "hosts", "volumes", "connections", "ports"} <= set(read), read
    for proc in (audit, check):
        assert API_TOKEN not in proc.stdout + proc.stderr and SESSION_TOKEN not in proc.stdout + proc.stderr
    doc = _report(audit)
    print(json.dumps(doc["summary"], indent=1)[:3000])
    assert doc["summary"]["array_state"] == "checked", doc["summary"]
    # the cluster's igroups were read for the fleet checks, and reached the report (audit.yml hands them over)
    assert "igroup_spans_hosts" not in (doc["summary"].get("fleet_not_compared") or {}), doc["summary"]
    assert kinds(_report(check)) == kinds(_report(alone)), "a FlashArray that serves nothing changed a verdict"
    # the fleet's cluster still maps LUN 2 (its paths down): what it says, with the FlashArray read or not
    assert ("paths_down_but_mapped", STALE) in kinds(_report(check))
