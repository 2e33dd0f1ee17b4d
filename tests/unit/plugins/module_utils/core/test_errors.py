"""One family of errors, built from API answers in one place, and a core that runs without the Kubernetes client."""

import json
import os
import subprocess
import sys

import pytest
from kubernetes.client.rest import ApiException

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import http_door


class Answer(Exception):
    """An ApiException as errors.api_error reads it: status, reason, body."""

    def __init__(self, status, body="", reason="Reason"):
        super().__init__(reason)
        self.status, self.body, self.reason = status, body, reason


def test_a_missing_object_and_a_missing_resource_type_are_told_apart():
    absent = errors.api_error(Answer(404, json.dumps({"message": "nope", "details": {"kind": "pods"}})), "reading")
    assert isinstance(absent, errors.NotFound) and absent.kind == "pods" and not absent.retryable
    unknown = errors.api_error(Answer(404, "404 page not found"), "reading")
    assert isinstance(unknown, errors.NotFound) and unknown.kind == ""


def test_a_conflict_is_a_retryable_api_error():
    conflict = errors.api_error(Answer(409, json.dumps({"message": "the object has been modified"})), "writing")
    assert isinstance(conflict, errors.Conflict) and isinstance(conflict, errors.KubeError)
    assert conflict.retryable and conflict.status == 409
    assert str(conflict) == "writing: the object has been modified (HTTP 409); retryable, run again"


@pytest.mark.parametrize(
    "kind",
    [errors.Refused, errors.VersionError, errors.HelmError, errors.KubeError, errors.LeaseHeld, errors.Conflict],
)
def test_every_error_has_the_one_root(kind):
    assert issubclass(kind, errors.BookkeeperOpsError)
    assert issubclass(errors.RunFailed, errors.BookkeeperOpsError)


def test_the_operations_the_runner_and_the_fake_adapter_run_without_the_kubernetes_client():
    code = (
        "import sys\n"
        "from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations, runner\n"
        "from ansible_collections.bookkeeper.ops.tests.support import fake_api\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('kubernetes', 'urllib3')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_api_errors_are_described_for_humans():
    def error(status, body):
        failure = ApiException(status=status, reason="Reason")
        failure.body = body
        return failure

    assert "401 Unauthorized" in str(errors.api_error(error(401, "{}"), "reading"))
    forbidden = errors.api_error(error(403, '{"message": "pods is forbidden"}'), "listing")
    assert str(forbidden) == "listing: forbidden by the API server (403): pods is forbidden"
    unavailable = errors.api_error(error(503, "not json"), "reading")
    assert unavailable.retryable and "retryable" in str(unavailable)
    assert not errors.api_error(error(422, "{}"), "writing").retryable
    schema = error(500, '{"message": "failed to create typed patch object: .spec.replicas: expected numeric"}')
    assert not errors.api_error(schema, "applying").retryable, "a wrong field type does not go away on a rerun"
    calls = []

    def mistyped(**_timeout):
        calls.append(1)
        raise schema

    with pytest.raises(errors.KubeError):
        http_door.Door("https://api.test").request("applying", mistyped)
    assert len(calls) == 1, "not retried"
