# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""What every bk_* module does around its one operation: connect, run, map the outcome."""

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, _load_params, missing_required_lib
from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, errors, redaction
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI


class _Module(AnsibleModule):
    """AnsibleModule that hides the secrets of an inline kubeconfig like those of no_log options.

    AnsibleModule logs its invocation, and fails on invalid options, within its constructor:
    the secrets are added to its no_log values as soon as the parameters are read.
    """

    def _load_params(self):
        super(_Module, self)._load_params()
        self.no_log_values.update(redaction.connection_secrets(self.params))


def connect(module):
    if connection.KUBERNETES_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("kubernetes"),
            exception="".join(
                traceback.format_exception_only(
                    type(connection.KUBERNETES_IMPORT_ERROR), connection.KUBERNETES_IMPORT_ERROR
                )
            ),
        )
    client = connection.api_client(module.params)
    # The module's timeout bounds every request it sends, and what its run waits on; bk_status has none, so each
    # of its requests is bounded on its own (http_door.WINDOW_SECONDS).
    return ClusterAPI(client, module.params["name"], module.params["namespace"], seconds=module.params.get("timeout"))


def execute(module, operation):
    """Run ``operation(api)`` and exit the module with its result or a clear failure."""
    try:
        result = operation(connect(module))
    except errors.BookkeeperOpsError as error:
        module.fail_json(msg=str(error), **failure_result(error, module._diff))
    except Exception as error:  # reported by fail_json, which hides the secrets its message may quote
        module.fail_json(msg="unexpected %s: %s" % (type(error).__name__, error))
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


def failure_result(error, with_diff):
    """What a task that failed with ``error`` returns besides its message."""
    if isinstance(error, errors.Refused):
        return {"changed": False, "refused": True}
    if isinstance(error, (errors.RunFailed, errors.TimedOut)) and error.result is not None:
        result = dict(error.result)
        if error.retryable:
            result["retryable"] = True
        diff = result.pop("diff")
        if with_diff:
            result["diff"] = diff
        return result
    return {"retryable": error.retryable}


def unparsable_dict(argument_spec, raw):
    """A message naming a dict option given as a string that is neither JSON nor key=value, or None.

    Ansible's own message for it does not say which option is wrong.
    """
    for name, option in argument_spec.items():
        if option.get("type") != "dict" or "options" not in option:
            continue
        for key in [name] + list(option.get("aliases") or []):
            value = raw.get(key)
            if not isinstance(value, str):
                continue
            try:
                check_type_dict(value)
            except TypeError:
                return "%s must be a dictionary of %s (YAML, JSON or key=value pairs), not a plain string" % (
                    name,
                    ", ".join(sorted(option["options"])),
                )
    return None


def _untyped(argument_spec):
    """The spec with every option accepted as it is, to fail cleanly (secrets still hidden)."""
    return {
        name: {"type": "raw", "aliases": option.get("aliases") or [], "no_log": option.get("no_log", False)}
        for name, option in argument_spec.items()
    }


def run(argument_spec, operation, **rules):
    """The whole life of a bk_* module: parse options, check them, run ``operation(api, params, check_mode)``.

    ``rules`` are AnsibleModule's option rules (required_if, mutually_exclusive...).
    """
    problem = unparsable_dict(argument_spec, _load_params() or {})
    if problem:
        _Module(argument_spec=_untyped(argument_spec), supports_check_mode=True).fail_json(msg=problem)
    ansible_module = _Module(argument_spec=argument_spec, supports_check_mode=True, **rules)
    params = ansible_module.params
    problem = args.check_names(params)
    if params.get("timeout") is not None:
        problem = problem or args.check_timeout(params["timeout"])
    problem = problem or args.check_data_plane(params.get("data_plane"))
    if problem:
        ansible_module.fail_json(msg=problem)
    execute(ansible_module, lambda api: operation(api, params, ansible_module.check_mode))
