"""Make `ansible_collections.sanfleet.remediation` importable under plain pytest.

scripts/setup.sh builds a collections tree (netapp.ontap plus a link to this checkout) and exports
SANFLEET_COLLECTIONS; ansible-test units does the equivalent by itself.
"""
import os
import sys

_tree = os.environ.get("SANFLEET_COLLECTIONS") or os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
if _tree and os.path.isdir(os.path.join(_tree, "ansible_collections")) and _tree not in sys.path:
    sys.path.insert(0, _tree)
