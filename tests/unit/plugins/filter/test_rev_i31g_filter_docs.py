# -*- coding: utf-8 -*-
"""Second review of i31-findings (compact multipath/LVM audits, issue 31): what the filters' own documentation
(ansible-doc -t filter) and the report's schema version say of the violations and report rows about several maps.
Each test failed on the review commit (strict xfail) and passes since its fix."""
import yaml

from ansible_collections.sanfleet.remediation.plugins.filter import compliance_violations as cv_filter
from ansible_collections.sanfleet.remediation.plugins.filter import host_report as hr_filter
from ansible_collections.sanfleet.remediation.plugins.plugin_utils.compliance import compliance_violations

QUEUEING = ["mpath%s" % c for c in "abcdefgh"]


def _doc_text(module):
    """Every description of the plugin's DOCUMENTATION and RETURN as one line."""
    text = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description":
                    text.extend(value if isinstance(value, list) else [value])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(yaml.safe_load(module.DOCUMENTATION))
    walk(yaml.safe_load(module.RETURN))
    return " ".join(" ".join(str(t) for t in text).split())


def test_rev_i31g_filter_docs_say_how_a_violation_about_several_maps_names_them():
    (v,) = compliance_violations({"multipath": {"remaining_findings": [], "live_maps_queueing": QUEUEING}})
    # the code: one violation whose object is a count, every name in devices (issue 31)
    assert (v["object"], v["device"], v["devices"], v["count"]) == ("8 maps", None, QUEUEING, 8)
    for module in (cv_filter, hr_filter):
        doc = _doc_text(module)
        # compliance_violations: 'One dict per violation, with area, check, object and text ... device, wwid and
        # reason' and 'every live map that queues without bound'; host_report: 'Every finding names its object (the
        # map, disk, ...)': neither says that the maps of one finding are in devices, the object '<count> maps'
        assert "C(devices)" in doc, (module.__name__, doc)


def test_rev_i31g_a_schema_1_reader_still_finds_the_queueing_maps_in_the_rows():
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils.report import host_report

    report = host_report({"multipath": {"remaining_findings": [], "live_maps_queueing": QUEUEING}}, "host1",
                         "compliance")
    # meta/schemas/host_report.schema.json and the host_report filter: 'the major number changes when a field
    # changes meaning or goes away, the minor when fields are added'. A reader of 1.2 took the queueing maps from
    # the rows' device (object): af0799c one row per map; 1.3 one row, object '8 maps', device null, the names in
    # the new field devices, which such a reader does not know
    if report["schema_version"].split(".", maxsplit=1)[0] == "1":
        rows = [r for r in report["findings"] if r["check"] == "live_map_queueing"]
        assert sorted(r["device"] for r in rows) == QUEUEING, [(r["object"], r["device"]) for r in rows]
