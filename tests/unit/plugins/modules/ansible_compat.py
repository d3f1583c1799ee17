"""What the module tests need from ansible-core, on every supported version (2.16 to 2.21)."""
import contextlib
import json

try:  # ansible-core 2.19+
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import
except ImportError:  # 2.16 to 2.18: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

try:
    from ansible.module_utils import _internal
except ImportError:  # 2.16, 2.17
    _internal = None


def as_target_process(monkeypatch):
    """A controller-side test earlier in the same process (lookups, a playbook run in-process) marks the process
    as the controller (2.19+); module.warn() would then print instead of landing in the module's result."""
    if hasattr(_internal, "is_controller"):  # 2.19+
        monkeypatch.setattr(_internal, "is_controller", False)


# the argument that makes a module return its arguments as `invocation` (2.21+; before, it always does)
try:
    from ansible.module_utils.common.parameters import PASS_VARS
except ImportError:
    PASS_VARS = {}
WITH_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}
