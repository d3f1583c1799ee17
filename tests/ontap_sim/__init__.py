"""ONTAP REST simulator for the tests and benchmarks of sanfleet.remediation (see server.py for what it covers).

    from ansible_collections.sanfleet.remediation.tests.ontap_sim import OntapSimulator, from_description
    with OntapSimulator(from_description({...}), str(tmp_path)) as sim:
        ... sim.options() -> lookup options (hostname, http_port, username, password, ca_path)
        ... sim.request_count, sim.request_log, sim.requests_to("storage/luns")

"""

from .dataset import Dataset, add_lab_target, from_description, from_lab_truth, from_lab_truths, generated  # noqa: F401
from .server import OntapSimulator  # noqa: F401


def lookup_plugin(name):
    """``lookup_loader.get(name)`` that also works under plain pytest (installs the collection finder once)."""
    import os
    import sys

    from ansible.plugins.loader import init_plugin_loader, lookup_loader
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    if not any(isinstance(f, _AnsibleCollectionFinder) for f in sys.meta_path):
        tree = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__))))))
        paths = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
        init_plugin_loader(paths + [tree])
        # Plain pytest imported the collection as plain namespace packages before the finder existed; drop every
        # package level (not the modules, which tests hold and patch) so the finder re-imports them with their
        # collection metadata: a package left behind (plugins.doc_fragments, after a test imported a doc fragment)
        # hid the collection's doc fragments from the plugin loader ("unknown doc_fragment(s)").
        for mod in [m for m in sys.modules if m.startswith("ansible_collections") and (
                m.count(".") <= 2 or hasattr(sys.modules[m], "__path__"))]:
            del sys.modules[mod]
    plugin = lookup_loader.get(name)
    if plugin is None:
        raise RuntimeError("lookup plugin %s not found" % name)
    return plugin
