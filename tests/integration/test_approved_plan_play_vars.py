"""The play's own vars of remediate.yml (vars:) are outranked by extra vars, and the own_variables guard does not look
them up (they are always defined). Each of these gives one at launch, as the AWX workflow launch or a prompt would,
next to what the workflow itself hands on."""
import json
import re

from ansible_collections.sanfleet.remediation.tests.integration.test_approved_plan import (  # noqa: F401  (fixture)
    custom_stats, play, runbook_commands, site)


def test_a_failed_plan_job_is_refused_whatever_sanfleet_approved_plan_failed_is_given(site):
    """sanfleet_plan_failed (the plan job's artifact: its check run failed as a whole) refuses the run; the play reads
    it through its own var sanfleet_approved_plan_failed, which an extra var of that name outranks: given '' next to
    the workflow's artifacts, the refusal is skipped and the run goes on to read and act on the hosts."""
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-3000:]
    approved = custom_stats(proc.stdout)["sanfleet_approved_plan"]
    (site / "artifacts.json").write_text(json.dumps({
        "sanfleet_approved_plan": approved, "sanfleet_plan_failed": "ARRAY: the array could not be read",
        "sanfleet_approved_plan_failed": ""}))
    run = re.sub(r"-e sanfleet_approved_plan_file=\S+", "-e @artifacts.json", run_cmd)
    proc = play(site, run)
    print("RC", proc.returncode, "module reached:", "Read the SAN state of the host" in proc.stdout)
    assert proc.returncode == 2 and "failed as a whole (ARRAY: the array could not be read)" in " ".join(
        proc.out.split()), proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout



def test_the_role_guards_given_at_launch_cannot_make_a_module_that_ran_look_refused(site):
    """sanfleet_role_guards (the play's var naming the role's guards, which refuse before the module runs) decides
    whether the reports read the module's answer: an extra var naming the module's own task makes a host whose module
    ran the approved plan and stopped a unit with queueing NOT restored (the fixture host refuses every write) be
    reported as refused before the module, 0 planned, 0 stopped, nothing about the map left with queueing off. The
    run must be refused before any host is read."""
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-3000:]
    (site / "forged.json").write_text(json.dumps(
        {"sanfleet_role_guards": ["Find and remove the stale SAN devices of this host"]}))
    proc = play(site, run_cmd, "-e @forged.json")
    counts = custom_stats(proc.stdout).get("sanfleet_report", {}).get("counts", {}).get("remediation")
    doc = json.loads(next((site / "reports").glob("*/hosts/db01.json")).read_text())
    print("RC", proc.returncode, "artifact remediation counts:", counts, "db01 approval:", doc["remediation"]["approval"])
    assert "Read the SAN state of the host" not in proc.stdout, counts
    assert proc.returncode == 2 and "sanfleet_role_guards" in proc.out, proc.out[-3000:]
