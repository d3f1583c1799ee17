"""The artifact_data lookup: another run's data (extra vars, AWX artifacts) read as data, never as a template."""
import pytest
from ansible.errors import AnsibleError

from ansible_collections.sanfleet.remediation.tests.ontap_sim import lookup_plugin


def artifact_data(*names, variables=None, **kwargs):
    return lookup_plugin("sanfleet.remediation.artifact_data").run(list(names), variables=variables or {}, **kwargs)


def as_extra_var(text):
    """`text` as ansible-core holds an extra variable's string: trusted as a template from 2.19 on (plain before)."""
    try:
        from ansible.template import trust_as_template
    except ImportError:     # 2.16 to 2.18: every string not marked unsafe is a template
        return text
    return trust_as_template(text)


def render(template, variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    return Templar(loader=DataLoader(), variables=variables).template(as_extra_var(template))


def test_values_come_back_as_given_in_the_order_of_the_names():
    variables = {"sanfleet_slice_2": {"hosts": ["b"], "reports": {"b": {"errors": ["{{ 7 * 6 }}"]}}},
                 "sanfleet_slice_1": {"hosts": ["a"], "n": 1.5, "ok": True, "none": None}}
    assert artifact_data("sanfleet_slice_1", "sanfleet_slice_2", variables=variables) == [
        variables["sanfleet_slice_1"], variables["sanfleet_slice_2"]]
    assert artifact_data(variables=variables) == []


def test_text_that_looks_like_a_template_is_never_rendered(tmp_path):
    """A host's error text holding Jinja, handed on in an artifact: through the vars lookup it runs a command on the
    controller (the control below); through artifact_data it stays text, also in what a play keeps of it (set_fact)
    and renders again in a later task."""
    marker = tmp_path / "ran"
    reason = "sdk: {{ lookup('ansible.builtin.pipe', 'touch %s') }} {%% raw %%} unclosed" % marker
    variables = {"sanfleet_slice_7": {"reports": {"node1": {"errors": [as_extra_var(reason)]}}}}

    kept = render("{{ lookup('sanfleet.remediation.artifact_data', 'sanfleet_slice_7') }}", variables)
    assert kept == {"reports": {"node1": {"errors": [reason]}}} and not marker.exists()
    later = render("{{ (merged.reports.node1.errors | first) ~ '!' }}", dict(variables, merged=kept))
    assert later == reason + "!" and not marker.exists()

    with pytest.raises(AnsibleError):   # the control: read by name, the same text is a template (here a broken one)
        render("{{ lookup('ansible.builtin.vars', 'sanfleet_slice_7') }}", variables)
    variables["sanfleet_slice_7"]["reports"]["node1"]["errors"] = [as_extra_var(reason.split(" {%")[0])]
    render("{{ lookup('ansible.builtin.vars', 'sanfleet_slice_7') }}", variables)
    assert marker.exists()


def test_a_name_that_is_not_defined_fails_by_name_unless_a_default_is_given():
    with pytest.raises(AnsibleError, match="no variable 'sanfleet_plan_failed' is defined"):
        artifact_data("sanfleet_plan_failed")
    assert artifact_data("sanfleet_plan_failed", "sanfleet_approved_plan", default="") == ["", ""]
    assert artifact_data("sanfleet_plan_failed", variables={"sanfleet_plan_failed": None}, default="x") == [None]


@pytest.mark.parametrize("value, why", [
    (float("nan"), "nan"),
    ({"node1": {"free_gib": float("inf")}}, "inf"),
    ({"node1": {1, 2}}, "set"),
])
def test_a_value_that_is_not_json_data_fails_with_its_name(value, why):
    with pytest.raises(AnsibleError, match="variable 'sanfleet_approved_plan' is not JSON data.*%s" % why):
        artifact_data("sanfleet_approved_plan", variables={"sanfleet_approved_plan": value})


@pytest.mark.parametrize("name", [None, 3, ["sanfleet_approved_plan"]])
def test_a_name_that_is_no_string_fails(name):
    with pytest.raises(AnsibleError, match="a variable name must be a string"):
        artifact_data(name, variables={"sanfleet_approved_plan": {}})


def test_key_returns_one_entry_of_a_mapping_and_checks_only_that_entry():
    """A play of many hosts reads its own entry of the fleet's plan: only that entry is copied (and must be data)."""
    variables = {"sanfleet_approved_plan": {"db01": {"steps": [{"action": "flush_map"}]}, "db02": float("nan")}}
    assert artifact_data("sanfleet_approved_plan", variables=variables, key="db01") == [
        {"steps": [{"action": "flush_map"}]}]
    assert artifact_data("sanfleet_approved_plan", variables=variables, key="db03") == [None]
    with pytest.raises(AnsibleError, match="is not JSON data"):
        artifact_data("sanfleet_approved_plan", variables=variables, key="db02")


@pytest.mark.parametrize("value", [["db01"], "db01", None])
def test_key_of_a_value_that_is_no_mapping_fails_by_name(value):
    with pytest.raises(AnsibleError, match="variable 'sanfleet_approved_plan' is not a mapping .*no key 'db01'"):
        artifact_data("sanfleet_approved_plan", variables={"sanfleet_approved_plan": value}, key="db01")
