"""The ansible-core versions the collection says it supports are the ones CI tests: meta/runtime.yml's
requires_ansible, the matrix of scripts/test.sh, the pinned ansible-core of requirements-dev.txt and the README."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEST_SH = (ROOT / "scripts" / "test.sh").read_text()


def minor(version):
    return tuple(int(p) for p in version.split(".")[:2])


def matrix():
    return re.search(r'^SANFLEET_CORE_MATRIX=\$\{SANFLEET_CORE_MATRIX:-"([^"]+)"\}$', TEST_SH, re.M).group(1).split()


def test_requires_ansible_is_the_oldest_version_ci_tests():
    requires = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    lowest = re.fullmatch(r">=(\d+\.\d+\.\d+)", requires).group(1)  # ansible-lint wants the full form
    versions = matrix()
    assert minor(lowest) == min(minor(v) for v in versions)
    # AAP's supported execution environments ship 2.16 and 2.18: the oldest is tested (2.18 templates as 2.16 does,
    # before data tagging, and is left out for CI's time: scripts/test.sh)
    assert minor(lowest) <= (2, 16) and (2, 16) in {minor(v) for v in versions}
    main = re.search(r"^ansible-core==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M).group(1)
    assert all(minor(v) < minor(main) for v in versions)


def test_the_matrix_stage_runs_by_default_and_pins_exact_versions():
    stages = re.search(r'^STAGES=\$\{STAGES:-"([^"]+)"\}$', TEST_SH, re.M).group(1).split()
    assert "matrix" in stages and "stage matrix matrix" in TEST_SH
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in matrix())


def test_the_modules_tests_run_on_the_oldest_ansible_core_of_the_matrix():
    """The matrix leaves the modules' unit tests out (scripts/test.sh matrix_core): stage py3.6 runs them on the
    ansible-core pinned for Python 3.6, which must then be the matrix's oldest, or no stage runs them on it."""
    pinned = re.search(r"^ansible-core==(\S+)$", (ROOT / "scripts" / "requirements-target-py3.6.txt").read_text(),
                       re.M).group(1)
    assert "--ignore tests/unit/plugins/modules" in TEST_SH
    assert pinned == min(matrix(), key=lambda v: tuple(int(p) for p in v.split("."))), (pinned, matrix())
    assert "stage py3.6 units_py36" in TEST_SH


def test_readme_install_names_the_supported_range():
    install = (ROOT / "README.md").read_text().split("## Install")[1].split("\n## ")[0]
    assert "ansible-core 2.16 to 2.21" in install
    for v in matrix():
        assert ".".join(v.split(".")[:2]) in install


def _ansible_text_removal():
    """The ansible-core version that removes the deprecated names of ansible.module_utils._text (to_native, ...), as
    the installed ansible-core declares it; None once the module or its deprecation is gone."""
    import ansible.module_utils as module_utils
    text = Path(module_utils.__file__).with_name("_text.py")
    if not text.is_file():
        return None
    found = re.search(r'version="(\d+\.\d+)"', text.read_text())
    return found.group(1) if found else None


def test_netapp_ontap_deprecated_imports_are_tracked_against_the_pinned_ansible_core():
    """netapp.ontap (the pinned 23.x) imports to_native from ansible.module_utils._text, which ansible-core 2.19+
    deprecates for removal in 2.24: the lookups' import of netapp.ontap breaks there (upstream: netapp.ontap issue
    352, pull request 338; until then ontap_client drops that deprecation's two stderr lines). Fails, naming what to
    do, the day a pinned ansible-core (requirements-dev.txt, the execution environment) reaches that version while
    netapp.ontap still imports it."""
    import os
    trees = [Path(p) for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    netapp = next((t / "ansible_collections/netapp/ontap/plugins/module_utils/netapp.py" for t in trees
                   if (t / "ansible_collections/netapp/ontap/plugins/module_utils/netapp.py").is_file()), None)
    if netapp is None:
        import pytest
        pytest.skip("netapp.ontap is not in ANSIBLE_COLLECTIONS_PATH (scripts/setup.sh puts it there)")
    uses = re.findall(r"^from ansible\.module_utils\._text import (.+)$", netapp.read_text(), re.M)
    main = re.search(r"^ansible-core==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M).group(1)
    ee = yaml.safe_load((ROOT / "extensions" / "ee" / "execution-environment.yml").read_text())
    ee_core = re.search(r">=(\d+\.\d+)", ee["dependencies"]["ansible_core"]["package_pip"]).group(1)
    newest = max(minor(main), minor(ee_core))
    removal = _ansible_text_removal()
    if not uses:
        return  # netapp.ontap moved to ansible.module_utils.common.text.converters: nothing left to track
    assert removal is not None, (
        "ansible-core no longer declares ansible.module_utils._text's deprecation, and netapp.ontap (%s) still imports "
        "%s from it: check that the pinned ansible-core still has it, or move to a netapp.ontap that does not"
        % (netapp, ", ".join(uses)))
    assert newest < minor(removal), (
        "the pinned ansible-core (%s) reaches %s, which removes ansible.module_utils._text's %s, and netapp.ontap "
        "(%s) still imports them: every ONTAP lookup would fail to import netapp.ontap. Pin a netapp.ontap that "
        "imports ansible.module_utils.common.text.converters (galaxy.yml, requirements-dev.txt's ansible==) first"
        % ("%d.%d" % newest, removal, ", ".join(uses), netapp))
