"""The AWX configuration (extensions/awx/sanfleet.yml, infra.aap_configuration data applied by
extensions/awx/configure.yml) is what infra.aap_configuration and the awx.awx modules accept, runnable as is, and
consistent with the collection it drives.

Neither infra.aap_configuration nor awx.awx is installable here (not in the PyPI `ansible` package, no Galaxy), and
there is no AWX server. Their facts are derived from their sources at pinned commits (tests/unit/fixtures/awx/):
- infra_aap_configuration.json: which variable its dispatch role maps to which role, and per role the awx.awx
  module it calls, the variable it loops over and, per module option, the item keys it reads
  (derive_aap_configuration.py);
- awx_awx_options.json: the argument specs of those awx.awx modules (derive_awx_options.py).
Each item is rendered (its {{ sanfleet_awx_* }} references, as Ansible would), turned into module arguments the
way the role's task does, and validated with ansible-core's own ArgumentSpecValidator against the real module's
spec: an unknown option, a wrong type or choice, a missing required option fails, and so does an item key the
role never reads (it would be dropped silently). What this cannot prove without a server: that the named objects
resolve, the server-side checks (survey spec schema, rrule, injector templates), the behaviour of the approval
node and of slicing.
"""
import json
import re
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.sandbox
import jinja2.nativetypes
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "extensions" / "awx"
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "awx"
OPTIONS = json.loads((FIXTURES / "awx_awx_options.json").read_text())
INFRA = json.loads((FIXTURES / "infra_aap_configuration.json").read_text())


class Unsafe(str):
    """An !unsafe string: AWX renders it at launch, Ansible never does."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: Unsafe(loader.construct_scalar(node)))


def load(path):
    return yaml.load(Path(path).read_text(), Loader=_Loader)


DATA = load(AWX / "sanfleet.yml")
DISPATCH = {}
for _entry in INFRA["dispatch"]:
    DISPATCH.setdefault(_entry["var"], []).append(_entry["role"])
ROLE_OF = {facts["variable"]: role for role, facts in INFRA["roles"].items()}


def render(value, variables, env=jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)):
    """Ansible's lazy templating of vars, for the plain references this file uses: native types kept."""
    if isinstance(value, Unsafe):
        return str(value)
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    for _round in range(10):
        if not (isinstance(value, str) and "{{" in value):
            return value
        value = env.from_string(value).render(**variables)
    raise AssertionError("templates nest too deep: %r" % value)


def rendered(overrides=None):
    variables = dict(DATA, **(overrides or {}))
    # the sanfleet_awx_* variables first, as Ansible renders a variable where it is used: one that is itself a
    # template (a list built from others) reaches the items as its value, not as its text
    for _round in range(10):
        pending = [k for k, v in variables.items() if k.startswith("sanfleet_awx_") and isinstance(v, str)
                   and not isinstance(v, Unsafe) and "{{" in v]
        if not pending:
            break
        for k in pending:
            variables[k] = render(variables[k], variables)
    return {k: render(v, variables) for k, v in variables.items() if k in DISPATCH}


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


def module_args(role, item):
    """The arguments the role's task gives its awx.awx module for this item (the first key it reads that is set)."""
    args = {}
    for option, keys in INFRA["roles"][role]["options"].items():
        for key in keys:
            if key in item:
                args[option] = item[key]
                break
    return args


def validate(role, item):
    facts = INFRA["roles"][role]
    read = {k for keys in facts["options"].values() for k in keys}
    ignored = set(item) - read
    assert not ignored, "%s reads no %s: the item keys would be dropped" % (role, sorted(ignored))
    result = ArgumentSpecValidator(_spec(OPTIONS["modules"][facts["module"]])).validate(module_args(role, item))
    assert not result.error_messages, (role, item.get("name"), result.error_messages)
    return result.validated_parameters


@pytest.fixture(scope="module")
def config():
    return rendered()


def by_name(items):
    return {i["name"]: i for i in items}


def test_every_list_is_an_infra_aap_configuration_variable_its_roles_read(config):
    """Fails when the AWX config holds a list infra.aap_configuration's roles would not apply."""
    expected = {"controller_execution_environments", "controller_credential_types",
                "controller_credentials", "controller_projects", "controller_inventories",
                "controller_inventory_sources", "controller_templates", "controller_schedules", "controller_workflows"}
    assert set(config) == expected
    lists = {k for k, v in DATA.items() if isinstance(v, list)}
    assert lists == expected, "a list infra.aap_configuration's dispatch would not apply: %s" % (lists - expected)
    for var in config:
        roles = DISPATCH[var]
        assert any(INFRA["roles"].get(r, {}).get("variable") == var for r in roles), (var, roles)
    # only controller roles run: nothing needs the AAP platform gateway (plain AWX has none)
    groups = {e["group"] for e in INFRA["dispatch"] if e["var"] in config}
    assert groups == {"controller_configuration_dispatcher_roles"}, groups
    others = set(DATA) - expected
    assert all(k.startswith("sanfleet_awx_") for k in others), others  # names as variables, nothing else


def test_every_item_passes_the_roles_and_the_awx_awx_argument_specs(config):
    """Fails when an AWX config item breaks the argument specs of the roles or of awx.awx."""
    count = 0
    for var, items in config.items():
        facts = INFRA["roles"][ROLE_OF[var]]
        if facts["variable_spec"]:
            result = ArgumentSpecValidator({var: dict(facts["variable_spec"])}).validate({var: items})
            assert not result.error_messages, (var, result.error_messages)
        for item in items:
            validate(ROLE_OF[var], item)
            count += 1
    assert count == 15


def test_the_check_would_catch_a_wrong_option_type_or_an_ignored_key(config):
    """Fails when the spec check lets a wrong option type or an ignored key through."""
    jt = dict(config["controller_templates"][0])
    with pytest.raises(AssertionError, match="reads no"):
        validate("controller_job_templates", dict(jt, slice_count=4))
    with pytest.raises(AssertionError, match="job_type"):
        validate("controller_job_templates", dict(jt, job_type="dry-run"))
    with pytest.raises(AssertionError, match="forks"):
        validate("controller_job_templates", dict(jt, forks="many"))


def test_names_are_variables(config):
    """Fails when an AWX object's name is written out instead of taken from its variable."""
    renamed = rendered({"sanfleet_awx_organization": "storage", "sanfleet_awx_project": "san-tools",
                        "sanfleet_awx_run_template": "SAN cleanup"})
    assert {i["organization"] for v in ("controller_projects", "controller_templates", "controller_credentials")
            for i in renamed[v]} == {"storage"}
    assert {i["project"] for i in renamed["controller_templates"]} == {"san-tools"}
    assert renamed["controller_inventory_sources"][0]["source_project"] == "san-tools"
    nodes = {n["identifier"]: n for n in renamed["controller_workflows"][0]["workflow_nodes"]}
    assert nodes["run"]["unified_job_template"]["name"] == "SAN cleanup"
    assert "SAN cleanup" in by_name(renamed["controller_templates"])
    text = (AWX / "sanfleet.yml").read_text().split("# --- infra.aap_configuration data")[1]
    for name in ("sanfleet SAN compliance", "SAN hosts", "sanfleet ONTAP, TLS verified", "sanfleet ssh"):
        assert name not in text, name  # only in the variables above


def test_nothing_dangles_in_the_repository(config):
    """Fails when the AWX config names a file, inventory or image the repository does not hold."""
    project = config["controller_projects"][0]
    source = config["controller_inventory_sources"][0]
    assert source["source"] == "scm" and source["source_project"] == project["name"]
    inventory = ROOT / source["source_path"]
    assert inventory.is_file(), source["source_path"]
    assert "san_hosts" in yaml.safe_load(inventory.read_text())
    assert source["inventory"] == config["controller_inventories"][0]["name"]
    ees = by_name(config["controller_execution_environments"])
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert all(ee["image"].endswith(":" + version) for ee in ees.values())  # the EE of this collection version
    assert project["default_environment"] in ees
    credentials = by_name(config["controller_credentials"])
    for jt in config["controller_templates"]:
        assert (ROOT / jt["playbook"]).is_file()
        assert jt["project"] == project["name"] and jt["inventory"] in by_name(config["controller_inventories"])
        assert jt["execution_environment"] in ees
        if jt["name"] == DATA["sanfleet_awx_compliance_merge_template"]:
            assert "credentials" not in jt  # it reads the slices' artifacts on the controller: no host, no array
            continue
        # the machine credential is made by hand in AWX (a secret); the ONTAP one is created here
        assert [c for c in jt["credentials"] if c not in credentials] == [DATA["sanfleet_awx_machine_credential"]]
    for schedule in config["controller_schedules"]:
        assert schedule["unified_job_template"] in by_name(config["controller_workflows"])
    configure = load(AWX / "configure.yml")[0]
    assert configure["vars_files"] == ["sanfleet.yml"] and configure["roles"] == ["infra.aap_configuration.dispatch"]


def test_credential_type_injects_only_declared_inputs_and_a_blank_ca_is_the_system_store(config):
    """Fails when the credential type injects an undeclared input or a blank CA distrusts the system store."""
    ct = config["controller_credential_types"][0]
    fields = {f["id"]: f for f in ct["inputs"]["fields"]}
    assert fields["password"].get("secret") is True
    assert set(ct["inputs"]["required"]) <= set(fields)
    used = set()
    env = jinja2.Environment()
    for value in list(ct["injectors"]["env"].values()) + list(ct["injectors"]["file"].values()):
        used |= {n for n in jinja2.meta.find_undeclared_variables(env.parse(value)) if n != "tower"}
    assert used == set(fields)
    # what AWX renders for ONTAP_CA_PATH: the CA file's path only when the field holds a certificate
    ca_path = env.from_string(ct["injectors"]["env"]["ONTAP_CA_PATH"])
    tower = {"filename": {"ca_file": "/runner/env/tmpCA"}}
    assert ca_path.render(ca_cert="", tower=tower) == "" and ca_path.render(ca_cert=" \n", tower=tower) == ""
    assert ca_path.render(ca_cert="-----BEGIN CERTIFICATE-----\n...", tower=tower) == "/runner/env/tmpCA"
    assert "template.ca_file" in ct["injectors"]["file"]
    # the names the ontap lookups read from the environment (doc fragment), and nothing in extra vars
    fragment = (ROOT / "plugins" / "doc_fragments" / "ontap.py").read_text()
    for name in ct["injectors"]["env"]:
        assert "name: %s" % name in fragment, name
    assert "extra_vars" not in ct["injectors"]
    cred = config["controller_credentials"][0]
    assert cred["credential_type"] == ct["name"] and set(cred["inputs"]) <= set(fields)


def test_the_ontap_credential_as_this_file_makes_it_verifies_the_cluster_certificate(config, tmp_path):
    """AWX injects a boolean field a credential does not hold as False: with a "verify" field, the credential this file
    makes (sanfleet_awx_ontap, by default a hostname only) sent the password to a cluster whose certificate was not
    checked. Fails when a credential without the field does not verify, or the switch does not turn it off."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
    ct = by_name(config["controller_credential_types"])[DATA["sanfleet_awx_credential_type"]]
    made = by_name(config["controller_credentials"])[DATA["sanfleet_awx_ontap_credential"]]["inputs"]
    files = {"template.password_file": str(tmp_path / "pw"), "template.ca_file": str(tmp_path / "ca.pem")}
    for extra, verify in (({}, True), ({"skip_tls_verify": False}, True), ({"skip_tls_verify": True}, False)):
        environ, _written = _injected(ct, dict(made, username="ro", password="s3cret", **extra), files)
        [entry] = ontap.cluster_list([], env=environ)
        assert entry.get("validate_certs", True) is verify, (extra, environ)


def test_the_verified_ontap_credential_type_is_not_the_released_one_awx_would_refuse_to_change(config):
    """0.2.0 made the type "sanfleet ONTAP" with a validate_certs field (and the credential "sanfleet ONTAP cluster1").
    AWX refuses a change to the inputs of a type a credential uses (awx/api/serializers.py,
    CredentialTypeSerializer.validate, lines 2930-2932 at e21dd0a0): under the old name the skip_tls_verify type would
    never replace it on an install that has it, and its credential kept injecting ONTAP_VALIDATE_CERTS=False."""
    released = {"sanfleet ONTAP", "sanfleet ONTAP cluster1"}
    assert not released & {DATA["sanfleet_awx_credential_type"], DATA["sanfleet_awx_ontap_credential"]}
    guide = (ROOT / "docs" / "awx.md").read_text()
    assert "Upgrading from 0.2.0" in guide and all('"%s"' % name in guide for name in sorted(released))


def test_the_password_reaches_the_job_as_a_file_never_in_its_environment(config):
    """An injected environment variable is part of the environment ansible-runner writes into its artifacts
    (artifacts/<id>/command, env.list): ONTAP_PASSWORD held the cluster's password in plain text there. The password
    goes into a file injector (AWX: 0600 in the job's private data dir, removed after the job) and the environment
    names the file."""
    ct = config["controller_credential_types"][0]
    env = jinja2.Environment()
    for name, value in ct["injectors"]["env"].items():
        assert "password" not in jinja2.meta.find_undeclared_variables(env.parse(value)), name
    tower = {"filename": {"password_file": "/runner/env/tmpPW", "ca_file": "/runner/env/tmpCA"}}
    assert env.from_string(ct["injectors"]["env"]["ONTAP_PASSWORD_FILE"]).render(tower=tower) == "/runner/env/tmpPW"
    assert env.from_string(ct["injectors"]["file"]["template.password_file"]).render(password="s3cret") == "s3cret"


def _pure_type(config):
    return by_name(config["controller_credential_types"])[DATA["sanfleet_awx_pure_credential_type"]]


def _injected(credential_type, inputs, files):
    """What AWX gives a job for a credential holding ``inputs``: (environment, {file path: content}), rendered as AWX
    renders them (awx/main/models/credential.py, inject_credential, at e21dd0a0: the inputs the credential holds, a
    string only when not empty, and a boolean field it does not hold False, lines 590-607; a sandboxed Jinja)."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment()
    namespace = dict((k, v) for k, v in inputs.items() if isinstance(v, bool) or len(v))
    for field in credential_type["inputs"]["fields"]:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    tower = {"filename": dict((key.split(".", 1)[1], path) for key, path in files.items())}
    written = dict((files[key], env.from_string(value).render(tower=tower, **namespace))
                   for key, value in credential_type["injectors"]["file"].items())
    environ = dict((name, env.from_string(value).render(tower=tower, **namespace))
                   for name, value in credential_type["injectors"]["env"].items())
    return environ, written


def test_the_flasharray_credential_gives_the_reader_its_array_and_the_token_only_as_a_file(config, tmp_path):
    """Fails when the FlashArray credential type injects a name the array_truth lookup does not read, puts the API
    token into the job's environment (ansible-runner writes it into its artifacts), or turns a blank CA field or
    AWX's spelling of a boolean into something else than the reader expects."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure
    ct = _pure_type(config)
    fields = dict((f["id"], f) for f in ct["inputs"]["fields"])
    assert fields["api_token"].get("secret") is True and "extra_vars" not in ct["injectors"]
    used = set()
    env = jinja2.Environment()
    for name, value in list(ct["injectors"]["env"].items()) + list(ct["injectors"]["file"].items()):
        names = {n for n in jinja2.meta.find_undeclared_variables(env.parse(value)) if n != "tower"}
        assert not (name in ct["injectors"]["env"] and "api_token" in names), name
        used |= names
    assert used == set(fields)
    files = {"template.api_token_file": str(tmp_path / "token"), "template.ca_file": str(tmp_path / "ca.pem")}
    token = "e31060a7-21fc-e277-6240-25983c6c4592"
    for skip, ca_cert, want_ca in ((None, "", None), (False, " \n", None), (True, "", None),
                                   (None, "-----BEGIN CERTIFICATE-----\n...", files["template.ca_file"])):
        inputs = {"hostname": "fa1.example.com", "api_token": token, "ca_cert": ca_cert}
        if skip is not None:
            inputs["skip_tls_verify"] = skip
        environ, written = _injected(ct, inputs, files)
        assert token not in json.dumps(environ)
        for path, content in written.items():
            Path(path).write_text(content)
        [entry] = pure.array_list([], env=environ)
        # a credential without the switch (made through the API, or by this file) verifies the certificate
        assert entry["hostname"] == "fa1.example.com" and entry["validate_certs"] is not skip, (skip, environ)
        assert entry.get("ca_path") == want_ca, (ca_cert, entry)
        assert pure.with_token_file(entry)["api_token"] == token


def test_an_array_credential_is_made_and_carried_only_when_its_array_is_given(config):
    """Fails when a fleet without a FlashArray gets a FlashArray credential in its jobs (every job would ask a
    placeholder address, and fail its hosts at the array gate), a FlashArray-only fleet (sanfleet_awx_ontap: {}) the
    ONTAP one, or when a given one is left out of a job that reads the hosts."""
    name = DATA["sanfleet_awx_pure_credential"]
    assert by_name(config["controller_credentials"])[name]["state"] == "absent"
    assert not [jt["name"] for jt in config["controller_templates"] if name in jt.get("credentials", [])]
    given = rendered({"sanfleet_awx_pure": {"hostname": "fa1.example.com"}})
    assert by_name(given["controller_credentials"])[name]["state"] == "present"
    only = rendered({"sanfleet_awx_pure": {"hostname": "fa1.example.com"}, "sanfleet_awx_ontap": {}})
    assert by_name(only["controller_credentials"])[DATA["sanfleet_awx_ontap_credential"]]["state"] == "absent"
    machine = DATA["sanfleet_awx_machine_credential"]
    for config_given, arrays in ((given, [DATA["sanfleet_awx_ontap_credential"], name]), (only, [name])):
        for jt in config_given["controller_templates"]:
            if jt["name"] == DATA["sanfleet_awx_compliance_merge_template"]:
                assert "credentials" not in jt
            else:
                assert jt["credentials"] == [machine] + arrays, jt["name"]


def test_compliance_job_is_sliced_read_only_and_scheduled(config):
    """Fails when the compliance job is not sliced, read-only, bounded in time and scheduled."""
    jt = by_name(config["controller_templates"])[DATA["sanfleet_awx_compliance_template"]]
    assert jt["job_type"] == "run" and jt["timeout"] > 0 and jt["job_slice_count"] > 1
    assert isinstance(jt["job_slice_count"], int) and isinstance(jt["forks"], int)
    play = load(collection_playbook(jt))[0]
    assert play["gather_facts"] is False  # hardware facts hang on a stale queueing map
    compliance = collection_playbook(jt).read_text()
    assert all(var in compliance for var in jt["extra_vars"])
    schedule = config["controller_schedules"][0]
    workflow = by_name(config["controller_workflows"])[schedule["unified_job_template"]]
    assert [n["unified_job_template"]["name"] for n in workflow["workflow_nodes"]][0] == jt["name"]
    assert schedule["rrule"].startswith("DTSTART:") and " RRULE:FREQ=DAILY;" in schedule["rrule"]


def test_remediation_workflow_is_check_then_approval_then_run_with_the_survey(config):
    """Fails when the remediation workflow is not check, approval within hours, then run, with its survey."""
    jts = by_name(config["controller_templates"])
    wf = config["controller_workflows"][0]
    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    plan, approve, run = nodes["plan"], nodes["approve"], nodes["run"]
    assert jts[plan["unified_job_template"]["name"]]["job_type"] == "check"
    assert jts[run["unified_job_template"]["name"]]["job_type"] == "run"
    assert approve["unified_job_template"]["type"] == "workflow_approval"
    # hours, not a day: a plan is only as good as the state it was made from
    assert 3600 <= approve["unified_job_template"]["timeout"] <= 8 * 3600
    assert [n["identifier"] for n in plan["related"]["always_nodes"]] == ["approve"]
    assert [n["identifier"] for n in approve["related"]["success_nodes"]] == ["run"]
    assert not (run.get("related") or {}).get("success_nodes")
    for node in (plan, run):
        jt = jts[node["unified_job_template"]["name"]]
        assert collection_playbook(jt) == ROOT / "playbooks" / "remediate.yml" and jt["job_slice_count"] == 1
        # the limit, the survey answers and the check job's artifacts (sanfleet_approved_plan) reach the job
        assert jt["ask_limit_on_launch"] and jt["ask_variables_on_launch"]
    assert wf["ask_limit_on_launch"] and wf["survey_enabled"]
    survey = {q["variable"]: q for q in wf["survey_spec"]["spec"]}
    assert survey["sanfleet_change_ticket"]["required"]
    assert survey["sanfleet_serial"]["type"] == "integer" and survey["sanfleet_serial"]["min"] >= 1
    remediate = (ROOT / "playbooks" / "remediate.yml").read_text()
    for var in ("sanfleet_hosts", "sanfleet_serial"):
        assert var in survey and var in remediate
    # lif_gone deletes only when the operator says every presenting cluster was read: off unless answered true,
    # and the answer (a string: a survey has no boolean) reaches the module's bool option through the role
    lif_gone = survey["sanfleet_delete_lif_gone"]
    assert (lif_gone["type"], lif_gone["choices"], lif_gone["default"]) == ("multiplechoice", ["false", "true"], "false")
    role_default = yaml.safe_load((ROOT / "roles" / "stale_cleanup" / "defaults" / "main.yml").read_text())
    assert "sanfleet_delete_lif_gone" in role_default["stale_cleanup_delete_lif_gone"]
    assert yaml.safe_load(stale_cleanup.DOCUMENTATION)["options"]["delete_lif_gone"]["type"] == "bool"


def test_a_plan_job_with_one_unreachable_host_still_reaches_the_approval(config):
    """The check run records an unreachable (or failed) host in sanfleet-plan.json as not_planned and plans the
    others (tests/integration/test_approved_plan.py: the run's rc is 4, so AWX marks the plan job failed), but the
    workflow goes from the plan node to the approval on success only (success_nodes: AWX's WorkflowDAG runs them
    after a 'successful' job only), so one host down in the fleet stops the approval, and the rollout, of every
    other host. A not_planned entry approves nothing, so the approval may follow a failed plan job."""
    wf = config["controller_workflows"][0]
    plan = {n["identifier"]: n for n in wf["workflow_nodes"]}["plan"]
    after_failure = [n["identifier"] for kind in ("failure_nodes", "always_nodes")
                     for n in (plan.get("related") or {}).get(kind) or []]
    assert "approve" in after_failure, plan["related"]


def _remediate_task(name):
    play = load(ROOT / "playbooks" / "remediate.yml")[0]
    return next(t for t in play["pre_tasks"] if t.get("name") == name)


def _holds(when, variables):
    # the play never reads sanfleet_approved_plan by name (that renders its text): it asks varnames whether it is given
    given = _remediate_task("Whether an approved plan is given (sanfleet_approved_plan, by name)")
    assert given["ansible.builtin.set_fact"]["sanfleet_approved_plan_given"] == (
        "{{ query('ansible.builtin.varnames', '^sanfleet_approved_plan$') | length > 0 }}")
    variables = dict(variables, sanfleet_approved_plan_given="sanfleet_approved_plan" in variables)
    env = jinja2.nativetypes.NativeEnvironment()
    env.filters["bool"] = lambda value: value in (True, "True", "true", "yes", "1", 1)
    env.tests["defined"] = lambda value: not isinstance(value, jinja2.Undefined)
    return all(env.from_string("{{ %s }}" % c).render(**variables) is True for c in when)


def test_the_run_template_launched_alone_refuses_and_never_sets_the_override(config):
    """The run template can be launched alone (limit san_hosts): without sanfleet_approved_plan the approval gate was
    skipped and the whole group was remediated with a plan nobody saw. remediate.yml now refuses a real run without
    an approved plan; the template must not set the override, and the workflow's run (the check job's artifact
    sanfleet_approved_plan handed on) must pass the gate."""
    jts = by_name(config["controller_templates"])
    run = jts[DATA["sanfleet_awx_run_template"]]
    assert "sanfleet_allow_unreviewed" not in json.dumps(config)
    assert not set(run.get("extra_vars") or {}) & {"sanfleet_approved_plan", "sanfleet_approved_plan_file"}
    gate = _remediate_task("A real run runs an approved plan (sanfleet_approved_plan or sanfleet_approved_plan_file) only")
    assert gate["ansible.builtin.set_fact"]["sanfleet_host_failed"]["task"] == "approval"
    alone = dict(run.get("extra_vars") or {}, ansible_check_mode=False)
    assert _holds(gate["when"], alone), "the run template launched alone is not refused"
    # the workflow: the check job publishes sanfleet_approved_plan (set_stats), AWX hands it to the run node
    remediate = (ROOT / "playbooks" / "remediate.yml").read_text()
    assert "sanfleet_approved_plan: \"{{ sanfleet_plan }}\"" in remediate
    assert not _holds(gate["when"], dict(alone, sanfleet_approved_plan={"h1": {}}))
    # the plan job is check mode: it is never refused
    assert jts[DATA["sanfleet_awx_plan_template"]]["job_type"] == "check"
    assert not _holds(gate["when"], dict(alone, ansible_check_mode=True))


def _budget(page):
    """(approval, rollout, plan max age) seconds as `page` documents the time budget."""
    import re
    text = (ROOT / "docs" / page).read_text()
    m = re.search(r"`sanfleet_awx_approval_timeout`\s+\((\d+) s\)\s+\+\s+`sanfleet_awx_rollout_window`\s+\((\d+) s\)"
                  r"\s+=\s+`sanfleet_awx_plan_max_age`\s+\((\d+) s", text)
    assert m, "docs/%s does not document the time budget" % page
    return tuple(int(g) for g in m.groups())


def test_approval_window_and_plan_age_add_up_to_the_maintenance_window(config):
    """The approval node's timeout (4 h) and the plan's max age (4 h, measured on each host when its turn comes)
    shared one budget: a late approval left no time for the rollout, and a long serial rollout started failing
    half-way. Two settings now (the approval timeout and the rollout window, the run job's timeout), and the plan
    holds for their sum."""
    wf = config["controller_workflows"][0]
    raw_wf = DATA["controller_workflows"][0]
    approve = {n["identifier"]: n for n in raw_wf["workflow_nodes"]}["approve"]["unified_job_template"]
    assert approve["timeout"] == "{{ sanfleet_awx_approval_timeout }}"
    raw_run = by_name(DATA["controller_templates"])["{{ sanfleet_awx_run_template }}"]
    assert raw_run["timeout"] == "{{ sanfleet_awx_rollout_window }}"
    assert raw_run["extra_vars"]["stale_cleanup_approved_plan_max_age"] == "{{ sanfleet_awx_plan_max_age }}"
    run = by_name(config["controller_templates"])[DATA["sanfleet_awx_run_template"]]
    approval = {n["identifier"]: n for n in wf["workflow_nodes"]}["approve"]["unified_job_template"]["timeout"]
    max_age = run["extra_vars"]["stale_cleanup_approved_plan_max_age"]
    assert max_age == approval + run["timeout"] and isinstance(max_age, int)
    # the variable the run job gets is the role's
    spec = yaml.safe_load((ROOT / "roles" / "stale_cleanup" / "meta" / "argument_specs.yml").read_text())
    assert "stale_cleanup_approved_plan_max_age" in spec["argument_specs"]["main"]["options"]
    # other windows add up too
    other = rendered({"sanfleet_awx_approval_timeout": 3600, "sanfleet_awx_rollout_window": 6 * 3600})
    assert by_name(other["controller_templates"])[DATA["sanfleet_awx_run_template"]]["extra_vars"][
        "stale_cleanup_approved_plan_max_age"] == 7 * 3600
    for page in ("awx.md", "runbook.md"):
        assert _budget(page) == (approval, run["timeout"], max_age), page


# --- the collection the jobs run (AWX's sources at ansible/awx e21dd0a0933fd544d1fe2513c54fe41203775eb5) ---------
AWX_COMMIT = "e21dd0a0933fd544d1fe2513c54fe41203775eb5"
# awx/main/utils/ansible.py line 20: a project file AWX offers as a job template's playbook
AWX_PLAYBOOK_RE = re.compile(r'^\s*?-?\s*?(?:hosts|(ansible\.builtin\.)?include|(ansible\.builtin\.)?import_playbook):\s*?.*?$')
# awx/playbooks/project_update.yml lines 217-270: what a project sync installs with ansible-galaxy, into the
# project's requirements_collections / requirements_roles cache
AWX_PROJECT_REQUIREMENTS = ("roles/requirements.yml", "roles/requirements.yaml", "collections/requirements.yml",
                            "collections/requirements.yaml", "requirements.yml", "requirements.yaml")
# ansible-builder 3's Containerfile installs the EE's collections here (tests/tooling/test_execution_environment.py)
EE_COLLECTIONS = "/usr/share/ansible/collections"


def awx_job_collections_path(env=None, ansible_cfg=None):
    """ANSIBLE_COLLECTIONS_PATHS of a job, as RunJob.build_env builds it (awx/main/tasks/jobs.py lines 929-947): the
    defaults, the job's environment or the project's ansible.cfg before them, and first of all
    /runner/requirements_collections, where RunProjectUpdate.make_local_copy (lines 1365-1383) copies what the project
    sync installed."""
    paths = "~/.ansible/collections:/usr/share/ansible/collections".split(":")
    given = (env or {}).get("ANSIBLE_COLLECTIONS_PATHS") or ansible_cfg
    if given:
        for path in given.split(":"):
            if path not in paths:
                paths = [given] + paths
    return ["/runner/requirements_collections"] + paths


def collection_playbook(jt):
    """The collection playbook a job template's wrapper imports (extensions/awx/playbooks/)."""
    [play] = load(ROOT / jt["playbook"])
    name = play["ansible.builtin.import_playbook"]
    assert name.startswith("sanfleet.remediation."), name
    return ROOT / "playbooks" / (name.split(".", 2)[2] + ".yml")


def test_the_project_sync_installs_no_collection_so_jobs_run_the_execution_environments():
    """collections/requirements.yml named the project itself (`name: .`, type dir): every project sync installed
    the branch into requirements_collections, which AWX puts first on the job's collections path, ahead of the
    image's pinned copy: jobs ran the branch's code under the release's version. The project installs nothing."""
    present = [p for p in AWX_PROJECT_REQUIREMENTS if (ROOT / p).exists()]
    assert present == [], "AWX's project sync installs these, ahead of the execution environment: %s" % present
    path = awx_job_collections_path()
    assert path.index("/runner/requirements_collections") < path.index(EE_COLLECTIONS)
    # with nothing in requirements_collections (nor in the runner user's ~/.ansible of the image), the first tree
    # holding sanfleet.remediation on that path is the image's
    holding = {EE_COLLECTIONS}
    assert next(p for p in path if p in holding) == EE_COLLECTIONS


def test_every_job_template_runs_the_collections_playbook_from_the_execution_environment(config):
    """A job template names a playbook file of the project (the branch): each is a wrapper that AWX lists as a
    playbook and that imports the collection's own playbook, which the execution environment pins."""
    for jt in config["controller_templates"]:
        text = (ROOT / jt["playbook"]).read_text()
        assert jt["playbook"].startswith("extensions/awx/playbooks/"), jt["playbook"]
        assert any(AWX_PLAYBOOK_RE.match(line) for line in text.splitlines()), jt["playbook"]
        [play] = load(ROOT / jt["playbook"])
        assert set(play) == {"name", "ansible.builtin.import_playbook"}, play
        assert collection_playbook(jt).is_file()
    built = yaml.safe_load((ROOT / "galaxy.yml").read_text())["build_ignore"]
    assert "playbooks" not in built  # the tarball, so the image, holds them


def test_the_compliance_schedule_runs_the_sliced_job_then_the_merge_of_its_slices(config):
    """Scheduled alone, a sliced job leaves N jobs whose artifacts AWX merges by top-level key (the last slice
    wins) and N fleet pages of a slice each. The schedule runs a workflow: the sliced job, then, whatever the slices
    ended with, the merge node, which sees every slice's sanfleet_slice_<job id> as extra vars."""
    jts = by_name(config["controller_templates"])
    workflow = by_name(config["controller_workflows"])[DATA["sanfleet_awx_compliance_workflow"]]
    nodes = {n["identifier"]: n for n in workflow["workflow_nodes"]}
    sliced = jts[nodes["compliance"]["unified_job_template"]["name"]]
    merge = jts[nodes["merge"]["unified_job_template"]["name"]]
    assert sliced["job_slice_count"] > 1 and sliced["extra_vars"]["sanfleet_slice_artifacts"] is True
    assert [n["identifier"] for n in nodes["compliance"]["related"]["always_nodes"]] == ["merge"]
    assert collection_playbook(merge) == ROOT / "playbooks" / "compliance_merge.yml"
    assert merge["job_slice_count"] == 1 and merge["extra_vars"]["sanfleet_hosts"] == sliced["extra_vars"]["sanfleet_hosts"]
    assert merge["limit"] == sliced["limit"]
