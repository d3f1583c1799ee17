"""The AWX configuration (extensions/awx/configure.yml, an awx.awx playbook) is valid for the awx.awx modules and
consistent with the collection it drives.

awx.awx is not installable here (not in the PyPI `ansible` package, no Galaxy) and there is no AWX server, so the
playbook runs in check mode against a stub awx.awx collection generated in a temporary directory: one module per
awx.awx module it uses, whose argument spec is the real module's (derived from its DOCUMENTATION at a pinned AWX
commit: tests/unit/fixtures/awx/awx_awx_options.json, tests/unit/fixtures/awx/derive_awx_options.py). Ansible's own
argument validation then rejects an unknown option, a wrong type, a bad choice or a missing required option,
also inside workflow_nodes and after templating. What this cannot prove without a server: that the named objects
resolve (credential "sanfleet ssh" exists, the project syncs), the server-side checks (survey spec schema, rrule,
credential type injector templates, approval node behaviour) and the API version of a given AWX.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def ansible_playbook():
    """The ansible-playbook of this Python (the venv's, or ansible-test's), else the one on PATH."""
    sibling = Path(sys.executable).parent / "ansible-playbook"
    found = str(sibling) if sibling.exists() else shutil.which("ansible-playbook")
    if not found:
        pytest.skip("ansible-playbook is not available to this Python")
    return found


AWX = ROOT / "extensions" / "awx"
OPTIONS = json.loads((ROOT / "tests" / "unit" / "fixtures" / "awx" / "awx_awx_options.json").read_text())


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(Path(path).read_text(), Loader=_Loader)


PLAY = load(AWX / "configure.yml")[0]


def tasks(module):
    return [t for t in PLAY["tasks"] if "awx.awx." + module in t]


def _spec(options):
    spec = {}
    for name, o in options.items():
        entry = {"type": o["type"], "required": o["required"]}
        for key in ("elements", "choices", "aliases"):
            if key in o:
                entry[key] = o[key]
        if "suboptions" in o:
            entry["options"] = _spec(o["suboptions"])
        spec[name] = entry
    return spec


STUB = textwrap.dedent('''\
    #!/usr/bin/python
    # Test stub: the argument spec of awx.awx.%(name)s, derived from its DOCUMENTATION. Records its arguments.
    import json, os
    from ansible.module_utils.basic import AnsibleModule
    SPEC = json.loads(%(spec)r)
    def main():
        module = AnsibleModule(argument_spec=SPEC, supports_check_mode=True)
        with open(os.path.join(os.environ["AWX_STUB_OUT"], "%(name)s.jsonl"), "a") as f:
            f.write(json.dumps(module.params) + "\\n")
        module.exit_json(changed=False)
    main()
''')


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """Run configure.yml in check mode against the stub awx.awx; the arguments each module received."""
    tmp = tmp_path_factory.mktemp("awx")
    coll = tmp / "ansible_collections" / "awx" / "awx"
    (coll / "plugins" / "modules").mkdir(parents=True)
    (coll / "galaxy.yml").write_text("namespace: awx\nname: awx\nversion: 0.0.0-stub\nauthors: [test]\nreadme: README.md\n")
    (coll / "README.md").write_text("stub\n")
    for name, options in OPTIONS["modules"].items():
        (coll / "plugins" / "modules" / (name + ".py")).write_text(
            STUB % {"name": name, "spec": json.dumps(_spec(options))})
    out = tmp / "out"
    out.mkdir()
    env = dict(os.environ, AWX_STUB_OUT=str(out), ANSIBLE_COLLECTIONS_PATH=str(tmp), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0")
    secrets = json.dumps({"sanfleet_awx_ontap": {"hostname": "cl1.example.com", "username": "ro", "password": "x",
                                                 "validate_certs": True, "ca_cert": ""}})
    proc = subprocess.run([ansible_playbook(), "--check", "-e", secrets,
                           str(AWX / "configure.yml")],
                          cwd=str(tmp), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    calls = {}
    for f in out.glob("*.jsonl"):
        calls[f.stem] = [json.loads(line) for line in f.read_text().splitlines()]
    return calls


def test_every_task_is_a_documented_awx_awx_module_with_documented_options():
    for task in PLAY["tasks"]:
        module = next(k for k in task if k.startswith("awx.awx."))
        name = module.split(".")[-1]
        assert name in OPTIONS["modules"], module
        assert set(task[module]) <= set(OPTIONS["modules"][name]), (module, set(task[module]) - set(OPTIONS["modules"][name]))


def test_configuration_passes_the_awx_awx_argument_specs_in_check_mode(applied):
    assert set(applied) == {"organization", "execution_environment", "credential_type", "credential", "project",
                            "inventory", "inventory_source", "job_template", "schedule", "workflow_job_template"}
    assert len(applied["job_template"]) == 3


def test_credential_type_injects_only_declared_inputs_and_hides_the_password(applied):
    ct = applied["credential_type"][0]
    fields = {f["id"]: f for f in ct["inputs"]["fields"]}
    assert fields["password"].get("secret") is True
    assert set(ct["inputs"]["required"]) <= set(fields)
    used = set()
    for value in list(ct["injectors"]["env"].values()) + list(ct["injectors"]["file"].values()):
        used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", value))
    assert used == set(fields)
    # the CA certificate is written to a file and its path given to the lookups
    assert ct["injectors"]["env"]["ONTAP_CA_PATH"] == "{{ tower.filename.ca_file }}"
    assert "template.ca_file" in ct["injectors"]["file"]
    # the names the ontap lookups read from the environment (doc fragment), and nothing in extra vars
    fragment = (ROOT / "plugins" / "doc_fragments" / "ontap.py").read_text()
    for env in ct["injectors"]["env"]:
        assert "name: %s" % env in fragment, env
    assert "extra_vars" not in ct["injectors"]
    cred = applied["credential"][0]
    assert cred["credential_type"] == ct["name"] and set(cred["inputs"]) <= set(fields)


def test_compliance_job_is_sliced_read_only_and_scheduled(applied):
    jts = {jt["name"]: jt for jt in applied["job_template"]}
    jt = jts["sanfleet SAN compliance"]
    assert (ROOT / jt["playbook"]).is_file()
    assert jt["job_type"] == "run" and jt["timeout"] > 0 and jt["job_slice_count"] > 1
    assert jt["execution_environment"] == applied["execution_environment"][0]["name"]
    play = load(ROOT / jt["playbook"])[0]
    assert play["gather_facts"] is False  # hardware facts hang on a stale queueing map
    # the playbook reads each (its defaults are default() at the use, so that inventory variables win)
    assert all(var in (ROOT / jt["playbook"]).read_text() for var in jt["extra_vars"])
    schedule = applied["schedule"][0]
    assert schedule["unified_job_template"] == jt["name"]
    assert re.match(r"^DTSTART:\d{8}T\d{6}Z RRULE:FREQ=(DAILY|WEEKLY|HOURLY);", schedule["rrule"])


def test_remediation_workflow_is_check_then_approval_then_run_with_the_survey(applied):
    jts = {jt["name"]: jt for jt in applied["job_template"]}
    wf = applied["workflow_job_template"][0]
    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    plan, approve, run = nodes["plan"], nodes["approve"], nodes["run"]
    assert jts[plan["unified_job_template"]["name"]]["job_type"] == "check"
    assert jts[run["unified_job_template"]["name"]]["job_type"] == "run"
    assert approve["unified_job_template"]["type"] == "workflow_approval"
    assert approve["unified_job_template"]["timeout"] > 0
    assert [n["identifier"] for n in plan["related"]["success_nodes"]] == ["approve"]
    assert [n["identifier"] for n in approve["related"]["success_nodes"]] == ["run"]
    assert not (run.get("related") or {}).get("success_nodes")
    for name in (plan, run):
        jt = jts[name["unified_job_template"]["name"]]
        assert jt["playbook"] == "playbooks/remediate.yml" and jt["job_slice_count"] == 1
        assert jt["ask_limit_on_launch"] and jt["ask_variables_on_launch"]  # limit and survey answers reach it
    assert wf["ask_limit_on_launch"] and wf["survey_enabled"]
    survey = {q["variable"]: q for q in wf["survey_spec"]["spec"]}
    assert survey["sanfleet_change_ticket"]["required"]
    assert survey["sanfleet_serial"]["type"] == "integer" and survey["sanfleet_serial"]["min"] >= 1
    remediate = (ROOT / "playbooks" / "remediate.yml").read_text()
    for var in ("sanfleet_hosts", "sanfleet_serial"):
        assert var in survey and var in remediate
