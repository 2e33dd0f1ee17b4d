import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import admission
from ansible_collections.bookkeeper.ops.tests.support.factories import (
    IDLE,
    OTHER_ERROR,
    ROLLBACK_FAILED,
    ROLLING_BACK,
    UPGRADE_FAILED,
    UPGRADING,
)


@pytest.mark.parametrize(
    "status, requested, message",
    [
        (IDLE, "0.13", "request version is not in valid format: '0.13'"),
        (IDLE, "0.12.0", "downgrading the cluster from version 0.13.0 to 0.12.0 is not supported"),
        (UPGRADING, "0.15.0", "failed to process the request, cluster is upgrading"),
        (ROLLING_BACK, "0.13.0", "failed to process the request, rollback in progress."),
        (
            UPGRADE_FAILED,
            "0.12.0",
            "Rollback to version 0.12.0 not supported. Only rollback to version 0.13.0 is supported.",
        ),
        (UPGRADE_FAILED, "0.14.0", "Only rollback to version 0.13.0 is supported."),
        (ROLLBACK_FAILED, "0.12.0", "failed to process the request, cluster is in error state"),
        (ROLLBACK_FAILED, "0.13.0", "failed to process the request, cluster is in error state"),
        (OTHER_ERROR, "0.14.0", "failed to process the request, cluster is in error state."),
    ],
)
def test_upgrade_requests_the_reference_refuses(status, requested, message):
    verdict = admission.check_upgrade(status, requested)
    assert not verdict.allowed
    assert message in verdict.message


@pytest.mark.parametrize(
    "status, requested",
    [
        (IDLE, "0.14.0"),
        (IDLE, "v0.13.0-hotfix"),
        (UPGRADING, "0.14.0"),
        (UPGRADE_FAILED, "0.13.0"),
        (ROLLBACK_FAILED, "0.14.0"),
        ({}, "0.1.0"),
    ],
)
def test_upgrade_requests_accepted(status, requested):
    assert admission.check_upgrade(status, requested) == (True, "", requested)


@pytest.mark.parametrize("status", [UPGRADE_FAILED, ROLLING_BACK, ROLLBACK_FAILED])
def test_rollback_goes_to_the_last_stable_version_only(status):
    assert admission.check_rollback(status) == (True, "", "0.13.0")
    assert admission.check_rollback(status, "0.13.0").allowed
    refused = admission.check_rollback(status, "0.12.0")
    assert not refused.allowed
    assert refused.message == (
        "Rollback to version 0.12.0 not supported. Only rollback to version 0.13.0 is supported."
    )


@pytest.mark.parametrize(
    "status, state",
    [
        (IDLE, "healthy at version 0.13.0"),
        (UPGRADING, "upgrading to 0.14.0"),
        (OTHER_ERROR, "in error state"),
        ({}, "healthy at version (unknown)"),
    ],
)
def test_rollback_outside_a_failed_upgrade_is_refused(status, state):
    verdict = admission.check_rollback(status)
    assert not verdict.allowed
    assert "only allowed after a failed upgrade" in verdict.message and state in verdict.message


def test_rollback_to_a_malformed_version_names_the_form():
    verdict = admission.check_rollback(UPGRADE_FAILED, "last")
    assert not verdict.allowed and "X.Y.Z" in verdict.message
