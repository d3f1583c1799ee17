"""The play's own vars of remediate.yml (vars:) are outranked by extra vars, and the own_variables guard does not look
them up (they are always defined). Each of these gives one at launch, as the AWX workflow launch or a prompt would,
next to what the workflow itself hands on."""
import json
import re

from ansible_collections.sanfleet.remediation.tests.integration.test_approved_plan import (  # noqa: F401  # pylint: disable=unused-import
    arrays, custom_stats, play, runbook_commands, site)


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
    assert proc.returncode == 2 and "refused: db01: sanfleet_approved_plan_failed: set by remediate.yml" in " ".join(
        proc.out.split()), proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout
    # the workflow's own artifacts alone: refused for the failed plan job, as before
    (site / "artifacts.json").write_text(json.dumps({
        "sanfleet_approved_plan": approved, "sanfleet_plan_failed": "ARRAY: the array could not be read"}))
    proc = play(site, run)
    assert proc.returncode == 2 and "failed as a whole (ARRAY: the array could not be read)" in " ".join(
        proc.out.split()), proc.out[-4000:]
    assert "Read the SAN state of the host" not in proc.stdout


def test_the_role_guards_given_at_launch_cannot_make_a_module_that_ran_look_refused(site):
    """sanfleet_role_guards (a play var naming the role's guards, which refuse before the module runs) decided whether
    the reports read the module's answer: an extra var naming the module's own task made a host whose module ran the
    approved plan and stopped a unit with queueing NOT restored (the fixture host refuses every write) be reported as
    refused before the module, 0 planned, 0 stopped. The play no longer reads such a list: what the module registered
    is its answer, and a variable of that name changes nothing."""
    plan_cmd, run_cmd = runbook_commands()
    proc = play(site, plan_cmd)
    assert proc.returncode == 0, proc.out[-3000:]
    (site / "forged.json").write_text(json.dumps(
        {"sanfleet_role_guards": ["Find and remove the stale SAN devices of this host"]}))
    proc = play(site, run_cmd, "-e @forged.json")
    assert proc.returncode == 2, proc.out[-3000:]
    doc = json.loads(max((site / "reports").glob("*/hosts/db01.json"), key=lambda p: p.stat().st_mtime).read_text())
    assert doc["remediation"]["approval"] == "approved", doc["remediation"]
    assert doc["remediation"]["counts"]["planned"] > 0 and doc["remediation"]["counts"]["stopped"] >= 1, doc["remediation"]
