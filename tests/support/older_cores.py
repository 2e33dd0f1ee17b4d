"""Test helpers of ansible-core 2.19, for the older cores the collection supports (`make cores` runs them)."""

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # before 2.19, AnsibleModule reads its arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args=None):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


try:
    from ansible.template import trust_as_template
except ImportError:  # before 2.19, every string is a template

    def trust_as_template(value):
        return value


__all__ = ["patch_module_args", "trust_as_template"]
