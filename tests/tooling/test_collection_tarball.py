"""The collection as a user gets it: the tarball `ansible-galaxy collection build` makes from a checkout, installed
with `ansible-galaxy collection install`. What a user reads and runs must be in it, and nothing of a developer's
working tree (caches, the lab, the tests) may be.

The build runs from a copy of the tracked files with the caches a developer's tree has (pytest, Hypothesis,
bytecode), so build_ignore is tested on the tree it must work on, not on a clean clone where it has nothing to do.
"""
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
REPOSITORY = GALAXY["repository"].rstrip("/")
# what a developer's tree holds besides the tracked files
CACHES = (".pytest_cache/v/cache/lastfailed", ".hypothesis/examples/0/1", "plugins/modules/__pycache__/x.cpython-312.pyc",
          "tests/unit/__pycache__/y.pyc", ".mypy_cache/3.12/z.json", "sanfleet-reports/fleet.html")
TEXT_SUFFIXES = (".md", ".yml", ".yaml", ".py", ".rst", ".j2", ".html", ".json", ".txt")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
# a relative reference: a markdown link target, or a path in a code span (`tests/unit/x.py`, `scripts/test.sh`)
REFERENCE = re.compile(r"\]\(([^)#\s]+)[^)]*\)|`([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]+)+/?)(?:::[^`]*)?`")


def _run(argv, cwd, timeout=300):
    proc = subprocess.run([str(a) for a in argv], cwd=str(cwd), capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    if not (BIN / "ansible-galaxy").exists():
        pytest.skip("ansible-galaxy is not installed (scripts/setup.sh's venv has it)")
    tree = tmp_path_factory.mktemp("tree") / "remediation"
    tracked = _run(["git", "ls-files", "-z"], ROOT).split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    for name in CACHES:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("cache\n")
    out = tmp_path_factory.mktemp("built")
    _run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, "."], tree)
    (path,) = out.glob("sanfleet-remediation-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name: m for m in tar.getmembers()}


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    dest = tmp_path_factory.mktemp("installed")
    _run([BIN / "ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", dest, tarball], dest)
    return dest / "ansible_collections" / "sanfleet" / "remediation"


def test_no_cache_or_working_file_of_a_developer_tree_is_packed(members):
    """A tarball built in a tree that has run the tests carries no pytest/Hypothesis/bytecode cache and no report."""
    packed = [name for name in members
              if any(part in (".pytest_cache", ".hypothesis", "__pycache__", ".mypy_cache", "sanfleet-reports")
                     for part in name.split("/")) or name.endswith(".pyc")]
    assert packed == []


def test_development_tooling_stays_out(members):
    """The lab, the tests, the scripts and the benchmarks are the repository's, not the collection's."""
    tops = {name.split("/")[0] for name in members}
    assert not tops & {"tests", "scripts", "benchmarks", ".ci", "collections"}, tops


def test_every_file_galaxy_yml_names_exists():
    """galaxy.yml's comments name the test that checks build_ignore: that file must exist."""
    text = (ROOT / "galaxy.yml").read_text()
    named = re.findall(r"(?:tests|scripts)/[\w/.-]+\.(?:py|sh)", text)
    assert named, "galaxy.yml names no test of its build_ignore"
    assert [n for n in named if not (ROOT / n).is_file()] == []


def _version(text):
    return tuple(int(p) for p in str(text).split("."))


def test_no_plugin_or_option_was_added_in_a_version_after_this_one(installed):
    """version_added (of a plugin, an option or a role's option) is never later than the collection's version."""
    version = _version(GALAXY["version"])
    later = []
    for path in sorted(installed.rglob("*")):
        if path.suffix not in (".py", ".yml", ".yaml") or not path.is_file():
            continue
        for match in re.finditer(r"version_added:\s*[\"']?([0-9][0-9.]*)", path.read_text(errors="replace")):
            if _version(match.group(1).rstrip(".")) > version:
                later.append("%s: %s" % (path.relative_to(installed), match.group(1)))
    assert later == [], "galaxy.yml version %s" % GALAXY["version"]


def _references(text):
    """Every relative reference of a shipped text file, outside fenced code blocks (commands run in a clone)."""
    text = FENCE.sub("", text)
    for match in REFERENCE.finditer(text):
        if match.group(2) and text[match.start() - 1:match.start()] == "[" and text.startswith("](", match.end()):
            continue  # the text of a link: its target is what counts
        ref = (match.group(1) or match.group(2)).rstrip(".,:;")
        if not re.match(r"[a-z][a-z0-9+.-]*:", ref):
            yield ref


def test_every_relative_reference_of_a_shipped_file_is_in_the_tarball(installed):
    """A doc that points at a file of the repository the tarball does not carry (a test, a script, the lab) is a
    dead link for every user of the installed collection: such a reference must be a link into the repository."""
    tracked = set(_run(["git", "ls-files"], ROOT).split())
    tracked_dirs = {str(Path(t).parent) for t in tracked} | {
        str(p) for t in tracked for p in Path(t).parents if str(p) != "."}
    dead = []
    for path in sorted(installed.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        rel = path.relative_to(installed)
        if rel.parts[0] == "changelogs" or rel.name == "CHANGELOG.rst":
            continue  # a record of what changed in the repository, not a page that sends a reader to a file
        for ref in _references(path.read_text(errors="replace")):
            for cand in (os.path.normpath(str(rel.parent / ref)), os.path.normpath(ref)):
                if (cand in tracked or cand.rstrip("/") in tracked_dirs) and not (installed / cand).exists():
                    dead.append("%s -> %s" % (rel, ref))
                    break
    assert dead == [], "%d references to files not in the tarball; write them as %s/blob/main/<path>:\n%s" % (
        len(dead), REPOSITORY, "\n".join(dead))


def test_ansible_lint_passes_on_the_installed_collection(installed):
    """ansible-lint run where a user or Automation Hub runs it, in the installed collection, with its shipped
    configuration."""
    if not (BIN / "ansible-lint").exists():
        pytest.skip("ansible-lint is not installed (scripts/setup.sh's venv has it)")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s%s%s" % (
        installed.parents[2], os.pathsep, os.environ.get("SANFLEET_ONTAP_TREE", "")))
    proc = subprocess.run([str(BIN / "ansible-lint"), "--nocolor"], cwd=str(installed), capture_output=True,
                          text=True, timeout=900, check=False, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_version_galaxy_yml_builds_is_released_or_the_next_one():
    """galaxy.yml's version is either released in changelogs/changelog.yaml (and no fragment waits for it), or newer
    than every release there (work towards it): a tarball never carries a version whose changes were never
    written down, nor one older than a release."""
    changelog = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())
    released = sorted((_version(v) for v in changelog.get("releases") or {}), reverse=True)
    version = _version(GALAXY["version"])
    fragments = [p.name for p in (ROOT / "changelogs" / "fragments").glob("*.y*ml")]
    if version in released:
        assert fragments == [], "%s is released, yet fragments wait for a release: bump galaxy.yml's version" % (
            GALAXY["version"],)
    else:
        assert not released or version > released[0], (GALAXY["version"], released[0])


def test_the_tarballs_changelog_releases_the_version_the_readme_installs(tarball):
    """The README installed sanfleet-remediation-0.2.0.tar.gz while the changelog stopped at 0.1.0 and every change
    since waited as an unreleased fragment. The tarball (built as scripts/test.sh's stage `build` builds it) is the
    one the README installs, and its CHANGELOG.rst and changelogs/changelog.yaml release that version with its
    changes, not a bare heading."""
    named = set(re.findall(r"sanfleet-remediation-([0-9][0-9.]*[0-9])\.tar\.gz", (ROOT / "README.md").read_text()))
    assert len(named) == 1, named
    (version,) = named
    assert tarball.name == "sanfleet-remediation-%s.tar.gz" % version, "galaxy.yml builds %s" % GALAXY["version"]
    with tarfile.open(tarball) as tar:
        rst = tar.extractfile("CHANGELOG.rst").read().decode()
        changes = yaml.safe_load(tar.extractfile("changelogs/changelog.yaml"))
    section = re.search(r"^v%s\n=+\n(.*?)(?=^v[0-9][0-9.]*\n=+\n|\Z)" % re.escape(version), rst, re.M | re.S)
    assert section, "CHANGELOG.rst releases no v%s: %s" % (version, re.findall(r"^v[0-9.]+$", rst, re.M))
    assert re.search(r"^Release Summary\n-+\n", section.group(1), re.M), section.group(1)[:500]
    assert re.search(r"^(Minor Changes|Bugfixes|Major Changes)\n-+\n\n- ", section.group(1), re.M), \
        section.group(1)[:500]
    release = changes["releases"][version]
    assert release["release_date"] and release["changes"]["release_summary"], release.keys()
    assert release.get("fragments"), "changelog.yaml's %s names no fragment it released" % version


def test_every_changelog_fragment_is_a_mapping_of_sections_to_lists_of_text():
    """A fragment that is not valid YAML (a ': ' in an unquoted entry) fails antsibull-changelog at release time and
    ansible-lint's production profile on the installed collection: each must load as {section: [text, ...]}
    (release_summary: a text)."""
    for path in sorted((ROOT / "changelogs" / "fragments").glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text())
        assert isinstance(doc, dict) and doc, path.name
        for section, entries in doc.items():
            if section == "release_summary":  # the one section that is a text, not a list
                assert isinstance(entries, str), path.name
                continue
            assert isinstance(entries, list) and all(isinstance(e, str) for e in entries), (path.name, section)
