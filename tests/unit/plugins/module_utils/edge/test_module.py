"""How module.execute maps outcomes to Ansible results, with a stand-in AnsibleModule."""

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import args, errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import module
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


class StandIn:
    def __init__(self, diff=False):
        self._diff = diff
        self.params = {
            "name": "bk",
            "namespace": "default",
            "kubeconfig": {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            },
        }
        for option in (
            "context",
            "host",
            "api_key",
            "username",
            "password",
            "validate_certs",
            "ca_cert",
            "client_cert",
            "client_key",
            "proxy",
            "no_proxy",
            "proxy_headers",
            "persist_config",
            "impersonate_user",
            "impersonate_groups",
        ):
            self.params.setdefault(option, None)

    def exit_json(self, **result):
        raise Exit(False, result)

    def fail_json(self, **result):
        raise Exit(True, result)


def run(operation, diff=False):
    with pytest.raises(Exit) as ended:
        module.execute(StandIn(diff), operation)
    return ended.value


def test_success_carries_the_diff_only_in_diff_mode():
    done = {"changed": True, "cluster": {}, "steps": [], "diff": {"before": {}, "after": {"a": 1}}}
    assert "diff" not in run(lambda api: dict(done)).result
    assert run(lambda api: dict(done), diff=True).result["diff"]["after"] == {"a": 1}


def test_connected_to_the_named_cluster():
    seen = {}

    def operation(api):
        seen.update(name=api.name, namespace=api.namespace)
        return {"changed": False, "diff": {}}

    run(operation)
    assert seen == {"name": "bk", "namespace": "default"}


def raising(error):
    def operation(api):
        raise error

    return operation


def test_refusals_failures_and_api_errors_fail_the_task():
    refused = run(raising(operations.Refused("no")))
    assert refused.failed and refused.result == {"msg": "no", "changed": False, "refused": True}
    failure = runner.RunFailed(
        "pod x update failed because of ImagePullBackOff",
        {"changed": True, "steps": [], "cluster": {}, "diff": {"before": {}, "after": {}}},
    )
    failed = run(raising(failure), diff=True)
    assert failed.failed and failed.result["changed"] and "diff" in failed.result
    api_error = run(raising(errors.KubeError("down", retryable=True)))
    assert api_error.result == {"msg": "down", "retryable": True}


@pytest.mark.parametrize(
    "error, result",
    [
        (errors.HelmError("helm rollback bk 2 failed"), {"retryable": False}),
        (errors.LeaseHeld("driven by another run"), {"retryable": True}),
        (errors.Conflict("changed meanwhile", retryable=True), {"retryable": True}),
        (errors.NotFound("BookkeeperCluster bk not found"), {"retryable": False}),
        (errors.VersionError("request version is not in valid format"), {"changed": False, "refused": True}),
    ],
    ids=["helm", "lease", "conflict", "not found", "version"],
)
def test_every_error_of_the_family_fails_the_task_with_its_own_fields(error, result):
    failed = run(raising(error))
    assert failed.failed and failed.result == dict(result, msg=str(error))


def test_a_dict_option_given_as_a_plain_string_is_named():
    spec = args.argspec(args.HEALTH_ARG_SPEC)
    assert module.unparsable_dict(spec, {"health_check": "bookkeeper"}) == (
        "health_check must be a dictionary of command, port, timeout, type, url, validate_certs (YAML, JSON or "
        "key=value pairs), not a plain string"
    )
    assert module.unparsable_dict(spec, {"health_check": "type=bookkeeper"}) is None
    assert module.unparsable_dict(spec, {"health_check": {"type": "bookkeeper"}}) is None
    assert module.unparsable_dict(spec, {"proxy_headers": "secret"}).startswith("proxy_headers must be a dictionary")
