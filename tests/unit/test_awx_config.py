"""The AWX configuration in extensions/awx is consistent with the collection it drives."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "extensions" / "awx"


def load(name):
    return yaml.safe_load((AWX / name).read_text())


def test_credential_type_injects_only_declared_inputs_and_hides_the_password():
    ct = load("credential_type_ontap.yml")
    fields = dict((f["id"], f) for f in ct["inputs"]["fields"])
    assert fields["password"].get("secret") is True
    assert set(ct["inputs"]["required"]) <= set(fields)
    used = set()
    for value in ct["injectors"]["env"].values():
        used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", value))
    assert used == set(fields)
    # the names the ontap lookups read from the environment (doc fragment), and nothing in extra vars
    fragment = (ROOT / "plugins" / "doc_fragments" / "ontap.py").read_text()
    for env in ct["injectors"]["env"]:
        assert "name: %s" % env in fragment, env
    assert "extra_vars" not in ct["injectors"]


def test_job_template_runs_the_compliance_playbook_with_the_ontap_credential_on_a_schedule():
    job = load("compliance_job.yml")
    jt = job["job_template"]
    assert (ROOT / jt["playbook"]).is_file()
    assert load("credential_type_ontap.yml")["name"] in jt["credentials"]
    assert jt["timeout"] > 0 and jt["job_type"] == "run"
    assert re.match(r"^DTSTART:\d{8}T\d{6}Z RRULE:FREQ=(DAILY|WEEKLY|HOURLY);", job["schedule"]["rrule"])
    play = yaml.safe_load((ROOT / jt["playbook"]).read_text())[0]
    assert play["gather_facts"] is False  # hardware facts hang on a stale queueing map
    assert set(jt["extra_vars"]) <= set(play["vars"])
