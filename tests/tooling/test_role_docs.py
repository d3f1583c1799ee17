"""docs/roles/*.md are generated from the roles' argument specs and up to date (scripts/role_docs.py)."""
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "role_docs.py"


def test_role_pages_are_generated_from_the_argument_specs_and_current():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for spec in ROOT.glob("roles/*/meta/argument_specs.yml"):
        role = spec.parent.parent.name
        page = (ROOT / "docs" / "roles" / ("%s.md" % role)).read_text()
        assert "sanfleet.remediation.%s" % role in page
