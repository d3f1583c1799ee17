"""Fixtures of the ONTAP truth tests (plugin_utils/ontap*.py)."""

import pytest


@pytest.fixture
def fresh_ontap_memory_cache():
    """The in-process cache of cluster reads empty before and after the test: a read cached by an earlier test
    would hide this one's requests (imported here, not at collection: other tests here check what is imported)."""
    from ansible_collections.sanfleet.remediation.plugins.plugin_utils import ontap
    ontap.clear_memory_cache()
    yield
    ontap.clear_memory_cache()
