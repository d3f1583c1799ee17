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
    # AAP's supported execution environments ship 2.16 and 2.18
    assert minor(lowest) <= (2, 16) and (2, 18) in {minor(v) for v in versions}
    main = re.search(r"^ansible-core==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M).group(1)
    assert all(minor(v) < minor(main) for v in versions)


def test_the_matrix_stage_runs_by_default_and_pins_exact_versions():
    stages = re.search(r'^STAGES=\$\{STAGES:-"([^"]+)"\}$', TEST_SH, re.M).group(1).split()
    assert "matrix" in stages and "stage matrix matrix" in TEST_SH
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in matrix())


def test_readme_install_names_the_supported_range():
    install = (ROOT / "README.md").read_text().split("## Install")[1].split("\n## ")[0]
    assert "ansible-core 2.16 to 2.21" in install
    for v in matrix():
        assert ".".join(v.split(".")[:2]) in install
