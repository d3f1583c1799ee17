"""The execution environment files are complete: ansible-builder reads the collection's EE metadata and writes a
full build context. No container engine runs here (no podman/docker, no registry), so the image itself is not
built: the context is checked instead (Containerfile steps, every file it copies, the requirements it installs)."""
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "ansible-builder").exists(),
                                reason="ansible-builder is not installed (requirements-dev.txt pins it)")


def _run(argv, cwd, timeout=120, env=None):
    proc = subprocess.run(argv, cwd=str(cwd), capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _ontap_tree():
    for base in (os.environ.get("ANSIBLE_COLLECTIONS_PATH") or "").split(os.pathsep):
        if base and (Path(base) / "ansible_collections" / "netapp" / "ontap" / "MANIFEST.json").exists():
            return Path(base) / "ansible_collections" / "netapp" / "ontap"
    pytest.skip("netapp.ontap is not in ANSIBLE_COLLECTIONS_PATH (scripts/setup.sh puts it there)")


def test_collection_ee_metadata_names_files_that_exist():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    for kind in ("python", "system"):
        assert (ROOT / meta["dependencies"][kind]).is_file(), meta["dependencies"][kind]


def test_introspect_sees_our_and_netapp_ontaps_requirements(tmp_path):
    tree = tmp_path / "ansible_collections"
    (tree / "sanfleet").mkdir(parents=True)
    (tree / "netapp").mkdir()
    os.symlink(ROOT, tree / "sanfleet" / "remediation")
    os.symlink(_ontap_tree(), tree / "netapp" / "ontap")
    out = yaml.safe_load(_run([str(BIN / "ansible-builder"), "introspect", "--sanitize", str(tmp_path)], tmp_path))
    python = "\n".join(out["python"])
    system = "\n".join(out["system"])
    assert "requests" in python and "sanfleet.remediation" in python  # ours, named by its collection
    assert "netapp.ontap" in python  # and netapp.ontap's (solidfire, requests, ...)
    assert "openssh-client" in system and "ca-certificates" in system


def test_ansible_builder_create_writes_a_complete_context_from_this_checkouts_tarball(tmp_path):
    """scripts/build-ee.sh --create-only: the tarball of this checkout is in the context, pinned by galaxy.yml's
    version, and it is what the galaxy stage installs (no git, no branch); the image tag is that version too."""
    ee = ROOT / "extensions" / "ee" / "execution-environment.yml"
    spec = yaml.safe_load(ee.read_text())
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    tarball = "sanfleet-remediation-%s.tar.gz" % version
    assert spec["version"] == 3
    assert spec["options"]["tags"] == ["sanfleet-ee:%s" % version]
    assert spec["additional_build_files"] == [{"src": tarball, "dest": "collections"}]
    ctx = tmp_path / "context"
    out = _run([str(ROOT / "scripts" / "build-ee.sh"), "--create-only"], ROOT,
               env={"EE_CONTEXT": str(ctx), "PATH": "%s%s%s" % (BIN, os.pathsep, os.environ["PATH"])})
    assert out.strip() == "sanfleet-ee:%s" % version
    containerfile = (ctx / "Containerfile").read_text()
    assert "FROM $EE_BASE_IMAGE" in containerfile or spec["images"]["base_image"]["name"] in containerfile
    galaxy = yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())
    ours = [c for c in galaxy["collections"] if c["name"] != "netapp.ontap"]
    assert ours == [{"name": "collections/" + tarball, "type": "file"}]
    assert "git" not in containerfile.lower().replace("ansible-galaxy", "")
    # the galaxy stage copies _build to /build and installs from there: do the same with the file entry
    assert "COPY _build /build" in containerfile and "WORKDIR /build" in containerfile
    built = ctx / "_build" / "collections" / tarball
    assert built.is_file()
    only_ours = ctx / "_build" / "ours.yml"
    only_ours.write_text(yaml.safe_dump({"collections": ours}))
    _run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-r", str(only_ours),
          "-p", str(tmp_path / "installed")], ctx / "_build", env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "none")})
    manifest = json.loads((tmp_path / "installed" / "ansible_collections" / "sanfleet" / "remediation"
                           / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == version
    # built from this checkout: its runtime metadata is the file here
    with tarfile.open(built) as tar:
        assert tar.extractfile("meta/runtime.yml").read() == (ROOT / "meta" / "runtime.yml").read_bytes()
    assert "ansible-core>=2.21,<2.22" in containerfile and "ansible-runner" in containerfile
    # where the image's collections are: the last entry of an AWX job's collections path, after the project's
    # requirements_collections (tests/unit/test_awx_config.py, docs/awx.md)
    assert '--collections-path "/usr/share/ansible/collections"' in containerfile
    # every file the Containerfile copies from the context is there
    for line in containerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            src = line.split()[1]
            assert (ctx / src).exists(), line


def test_tarball_keeps_test_tooling_out(tmp_path):
    _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(ROOT)], ROOT)
    import tarfile
    with tarfile.open(next(tmp_path.glob("sanfleet-remediation-*.tar.gz"))) as tar:
        names = tar.getnames()
    assert "meta/schemas/host_report.schema.json" in names and "roles/fleet_report/templates/fleet.html.j2" in names
    assert "meta/execution-environment.yml" in names and "requirements.txt" in names and "bindep.txt" in names
    leaked = [n for n in names if n.split("/")[0] in ("tests", "scripts", "benchmarks", "collections")
              or n.startswith("extensions/molecule") or n in ("conftest.py", "pytest.ini", "requirements-dev.txt")]
    assert leaked == []
