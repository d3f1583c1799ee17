# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of checks (module_utils/_san/check_registry.py) is the one list: the code emits no check id it
lacks, every entry has its section in docs/compliance.md, the page documents no check it lacks, and the lists the
reports and audits use are derived from it. Each scan is also run on a broken input, to show it can fail."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import re
from pathlib import Path

import pytest

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import check_registry
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.check_registry import CHECKS, Check

ROOT = Path(__file__).resolve().parents[5]
PLUGINS = ROOT / "plugins"
COMPLIANCE = ROOT / "docs" / "compliance.md"
# rows about how the run went, not checks of a host (docs/reports.md): the array problems, the run, remediate
NOT_CHECK_AREAS = ("array", "run", "remediate")
# a verdict with no report row (an NVMe controller down is its namespaces' rows; a namespace not read is an
# nvme_unreadable row); the run's row of a host without a report (report_fleet's JUnit, area run)
NOT_CHECKS = ("healthy", "controller_down", "unread", "unreachable_or_failed")
# the files where `kind` is a check id: the `san` fact's host findings and verdicts, the NVMe family's verdicts
KIND_FILES = ("judge/findings.py", "judge/verdicts.py", "judge/nvme_verdicts.py")
# function -> (index of the area argument or a fixed area, index of the check argument)
EMITTERS = {"finding_row": (0, 1), "_v": (0, 1), "_grouped": (0, 1), "_finding": ("fc", 0), "_nvme_finding": ("nvme", 0)}
REGISTRY_CALLS = ("get", "meaning")
# a template, task or module example that tests a finding's check (or a fact's kind):
# selectattr('check', 'equalto', 'x'), f.check == 'x', f['check'] == 'x'
TEXT_USE = re.compile(r"""selectattr\(\s*['"](?:check|kind)['"]\s*,\s*['"]equalto['"]\s*,\s*['"]([\w.]+)['"]"""
                      r"""|(?:\.check|\[['"]check['"]\])\s*==\s*['"]([\w.]+)['"]""")
# the folders whose `*CHECKS` lists hold check ids (observe's NVME_HOST_CHECKS are reads)
CHECK_LIST_FOLDERS = ("judge/", "plugin_utils/", "modules/")


def str_constant(node):
    """The text of a str constant node, else None: ast.Constant since Python 3.8, ast.Str (its text in `s`) before
    (the module_utils tests run on 3.6 too, scripts/test.sh stage py3.6)."""
    kind = type(node).__name__
    value = node.value if kind == "Constant" else node.s if kind == "Str" else None
    return value if isinstance(value, str) else None


def const_strings(node):
    """The str constants an expression may evaluate to (a constant, either branch of `a if c else b`)."""
    if str_constant(node) is not None:
        return [str_constant(node)]
    if isinstance(node, ast.IfExp):
        return const_strings(node.body) + const_strings(node.orelse)
    return []


def _callee(node):
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def emitted(path, rel):
    """[(where, area or None, check id)] of the check ids one file emits: the value of a `check` key (and of `kind`
    in KIND_FILES) in a dict literal or as a keyword, the check argument of the row builders (EMITTERS), the ids
    of a `*CHECKS` list, and the ids given to check_registry.get/meaning."""
    out = []
    kinds = ("check", "kind") if rel.endswith(KIND_FILES) else ("check",)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        where = "%s:%d" % (rel, getattr(node, "lineno", 0))
        if isinstance(node, ast.Dict):
            pairs = dict((str_constant(k), v) for k, v in zip(node.keys, node.values) if str_constant(k) is not None)
            area = (const_strings(pairs["area"]) or [None])[0] if "area" in pairs else None
            out.extend((where, area, cid) for key in kinds if key in pairs for cid in const_strings(pairs[key]))
        elif isinstance(node, ast.Call):
            out.extend((where, None, cid) for kw in node.keywords if kw.arg in kinds
                       for cid in const_strings(kw.value))
            name = _callee(node)
            if name in EMITTERS:
                area_at, check_at = EMITTERS[name]
                area = area_at if isinstance(area_at, str) else (
                    (const_strings(node.args[area_at]) or [None])[0] if len(node.args) > area_at else None)
                if len(node.args) > check_at:
                    out.extend((where, area, cid) for cid in const_strings(node.args[check_at]))
            if name in REGISTRY_CALLS and isinstance(node.func, ast.Attribute) \
                    and getattr(node.func.value, "id", "") == "check_registry" and node.args:
                out.extend((where, None, cid) for cid in const_strings(node.args[0]))
        elif isinstance(node, ast.Assign) and rel.startswith(CHECK_LIST_FOLDERS) \
                and any(isinstance(t, ast.Name) and t.id.endswith("CHECKS") for t in node.targets):
            items = node.value.keys if isinstance(node.value, ast.Dict) else getattr(node.value, "elts", [])
            for item in items:
                first = item.elts[0] if isinstance(item, ast.Tuple) and item.elts else item
                out.extend((where, None, cid) for cid in const_strings(first))
    return out


def emitted_in_text(path, rel):
    """[(where, None, id)] of the checks a template, task file or module's docs test a finding for."""
    text = path.read_text()
    return [("%s:%d" % (rel, text[:m.start()].count("\n") + 1), None, m.group(1) or m.group(2))
            for m in TEXT_USE.finditer(text)]


def unregistered(found, registry=CHECKS):
    """The emitted ids the registry lacks (the run's own rows and the healthy verdict are not checks)."""
    known = set(c.id for c in registry)
    return sorted("%s %s/%s" % (where, area or "?", cid) for where, area, cid in found
                  if cid not in known and cid not in NOT_CHECKS and area not in NOT_CHECK_AREAS)


def code_ids(root=ROOT):
    found = []
    for path in sorted((root / "plugins").rglob("*.py")):
        rel = path.relative_to(root / "plugins").as_posix()
        if rel != "module_utils/_san/check_registry.py":
            found.extend(emitted(path, rel.replace("module_utils/_san/", "")))
            found.extend(emitted_in_text(path, rel))
    for folder in ("roles", "playbooks"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in (".yml", ".yaml", ".j2"):
                found.extend(emitted_in_text(path, path.relative_to(root).as_posix()))
    return found


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, blanks to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections(text):
    """{anchor: text up to the next heading} of a markdown page."""
    out, anchor = {}, None
    for line in text.splitlines():
        m = re.match(r"#{1,6} (.*)", line)
        if m:
            anchor = slug(m.group(1))
            out[anchor] = ""
        elif anchor is not None:
            out[anchor] += line + "\n"
    return out


def undocumented(registry, text):
    """The entries whose `doc` names no section of the page, or whose section does not name them."""
    parts = sections(text)
    out = []
    for c in registry:
        if c.doc not in parts:
            out.append("%s: no section #%s" % (c.id, c.doc))
        elif "`%s`" % c.id not in parts[c.doc]:
            out.append("%s: not named in #%s" % (c.id, c.doc))
    return out


def documented_checks(text):
    """The check ids of the page's check tables (a table whose first header cell starts with `check`): the first
    `id` of each row's first cell."""
    out, in_table = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.strip("|").split("|")[0].strip()
        if first.startswith("---"):
            continue
        if not in_table:
            in_table, is_checks = True, first.startswith("check")
            continue
        m = re.match(r"`([\w.]+)`", first)
        if is_checks and m:
            out.append(m.group(1))
    return out


def not_in_registry(registry, text):
    known = set(c.id for c in registry)
    return sorted(set(cid for cid in documented_checks(text) if cid not in known))


# the registry against the code and the page

def test_the_code_emits_no_check_the_registry_lacks():
    """A producer (an audit, a module, compliance, the reports, a role's template) emits a check id that has no
    entry: it would get no action, no severity, no JUnit case, no documentation."""
    found = code_ids()
    assert len(found) > 40, "the scan found too little to be trusted: %d" % len(found)
    assert unregistered(found) == []


def test_every_check_the_code_emits_is_seen_by_the_scan():
    """The scan sees the ids of every area, so an id it lacks in one area would not slip through unseen."""
    seen = set(cid for _where, _area, cid in code_ids())
    missed = sorted(c.id for c in CHECKS if c.id not in seen)
    # node.session.scan is iscsid_conf's default key, not a literal of the code's findings
    assert missed == ["node.session.scan"]


def test_every_registry_entry_has_its_section_in_the_compliance_page():
    """Fails when a registered check has no section in docs/compliance.md."""
    assert undocumented(CHECKS, COMPLIANCE.read_text()) == []


def test_the_compliance_page_documents_no_check_the_registry_lacks():
    """Fails when docs/compliance.md documents a check the registry lacks."""
    text = COMPLIANCE.read_text()
    assert len(documented_checks(text)) >= 30
    assert not_in_registry(CHECKS, text) == []


def test_every_entry_is_complete_and_ids_are_unique():
    """Fails when a registry entry lacks a field, has an unknown area or severity, or shares an id."""
    assert len(set(c.id for c in CHECKS)) == len(CHECKS)
    for c in CHECKS:
        assert c.area in check_registry.AREAS, c
        assert c.severity in ("error", "violation", "warning", "info"), c
        assert c.meaning and c.action and c.doc, c
        assert c.grouped in (None, "maps", "devices"), c


def nvme_remedies_documented(text):
    """The ids docs/compliance.md names between its nvme-actions marks."""
    block = text.split("<!-- nvme-actions -->")[1].split("<!-- /nvme-actions -->")[0]
    return set(re.findall(r"`([\w.]+)`", block))


def test_the_compliance_page_names_every_check_with_an_nvme_remedy_of_its_own():
    """Fails when the page's list of the kinds whose NVMe row has its own remedy is not the registry's."""
    assert nvme_remedies_documented(COMPLIANCE.read_text()) == set(c.id for c in CHECKS if c.nvme_action)
    broken = COMPLIANCE.read_text().replace("`not_covered`<!-- /nvme-actions -->", "<!-- /nvme-actions -->")
    assert nvme_remedies_documented(broken) != set(c.id for c in CHECKS if c.nvme_action)


def test_no_nvme_remedy_disconnects_a_whole_subsystem():
    """An NVMe row's action names a remedy for one controller: never `nvme disconnect -n` or `disconnect-all` as
    the thing to do (each may name them only to say never)."""
    for c in CHECKS:
        for text in (c.nvme_action, c.action if c.id in ("lif_gone", "uuid_mismatch") else None):
            if text and "disconnect" in text:
                assert "never nvme disconnect -n or nvme disconnect-all" in text, c.id


# the scans fail on broken inputs

@pytest.mark.parametrize("source, area", [
    ('f = {"check": "no_such_check", "object": "x"}\n', "?"),
    ('f = {"check": "no_such_check" if a else "no_lvm_filter", "area": "lvm"}\n', "lvm"),
    ('row = finding_row("lvm", "no_such_check", "warning", obj)\n', "lvm"),
    ('v = _v("multipath", "no_such_check", scope)\n', "multipath"),
    ('f = _finding("no_such_check", wwpn, "why")\n', "fc"),
    ('f = _nvme_finding("no_such_check", ctrl, "why")\n', "nvme"),
    ('f = dict(base, check="no_such_check")\n', "?"),
    ('NEW_CHECKS = (("no_such_check", "key", None, "why"),)\n', "?"),
    ('text = check_registry.meaning("no_such_check")\n', "?"),
])
def test_the_code_scan_fails_on_an_unregistered_id(tmp_path, source, area):
    """Fails when the code scan misses an unregistered check id in any of the forms the code uses."""
    path = tmp_path / "m.py"
    path.write_text(source)
    assert unregistered(emitted(path, "judge/m.py")) == ["judge/m.py:1 %s/no_such_check" % area]


def test_the_code_scan_keeps_its_exceptions_narrow(tmp_path):
    """A kind is a check only in the files of host findings and verdicts; the run's own rows are not checks."""
    path = tmp_path / "m.py"
    path.write_text('a = {"kind": "loop"}\nb = finding_row("run", "task_failed", "error", w)\n'
                    'c = {"check": "reachable", "area": "run"}\n')
    assert unregistered(emitted(path, "m.py")) == []
    assert unregistered(emitted(path, "judge/findings.py")) == ["judge/findings.py:1 ?/loop"]


def test_the_text_scan_fails_on_an_unregistered_id_in_a_template(tmp_path):
    """Fails when the text scan misses an unregistered check id in a template."""
    path = tmp_path / "t.j2"
    path.write_text("{% for f in findings | selectattr('check', 'equalto', 'no_such_check') %}\n"
                    "{% if f.check == 'stale_unmapped' or f.check == 'other_check' %}x{% endif %}{% endfor %}\n")
    assert unregistered(emitted_in_text(path, "t.j2")) == ["t.j2:1 ?/no_such_check", "t.j2:2 ?/other_check"]


def test_the_doc_scans_fail_on_a_missing_section_or_an_undocumented_check():
    """Fails when the doc scans miss a missing section, a check not named there, or an extra one."""
    text = COMPLIANCE.read_text()
    missing_anchor = Check("no_lvm_filter", "lvm", "violation", "m", "a", "no-such-section", False, None, None)
    wrong_section = Check("no_lvm_filter", "lvm", "violation", "m", "a", "checks-and-default-remedies", False, None, None)
    assert undocumented([missing_anchor], text) == ["no_lvm_filter: no section #no-such-section"]
    assert undocumented([wrong_section], text) == ["no_lvm_filter: not named in #checks-and-default-remedies"]
    # the page documents a check the registry lacks
    assert not_in_registry([c for c in CHECKS if c.id != "san_vg_active"], text) == ["san_vg_active"]
    page = "## Checks\n\n| check | when |\n| --- | --- |\n| `new_check` | always |\n"
    assert not_in_registry(CHECKS, page) == ["new_check"]


def test_slug_is_githubs():
    """Fails when a heading's anchor is not the one GitHub makes."""
    assert slug("FC timeouts (per remote port, `module_utils/_san/judge/fc_audit.py`)") == \
        "fc-timeouts-per-remote-port-module_utils_sanjudgefc_auditpy"
    assert slug("Checks and default remedies") == "checks-and-default-remedies"


# the lists the code uses are the registry's

def test_the_lists_of_the_audits_are_the_registrys():
    """Fails when a judge keeps a check list of its own (the reports' lists: plugin_utils/test_report_findings.py)."""
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import compact_audit, fc_audit
    from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import multipath_audit, nvme_audit
    assert fc_audit.CHECKS == dict((c.id, c.severity) for c in CHECKS if c.area == "fc")
    assert nvme_audit.CHECKS == dict((c.id, c.severity) for c in CHECKS if c.area == "nvme")
    assert compact_audit.PER_MAP_CHECKS == ("live_map_queueing",)
    assert compact_audit.PER_DEVICE_CHECKS == ("san_device_accepted", "san_device_in_devices_file")
    for cid, _key, _bad, reason in multipath_audit.CHECKS:
        assert check_registry.get(cid).area == "multipath" and reason == check_registry.meaning(cid)
