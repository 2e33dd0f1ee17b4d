import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import manifests


@pytest.mark.parametrize(
    "spec, problem",
    [
        ({"replicas": "three"}, "spec.replicas must be an integer, got 'three'"),
        ({"replicas": True}, "spec.replicas must be an integer, got True"),
        ({"replicas": 0}, "spec.replicas must be 1 or more, got 0"),
        ({"version": 0.14}, "spec.version must be a string, got 0.14"),
        ({"image": {"imageSpec": {"repository": ["a"]}}}, "spec.image.imageSpec.repository must be a string"),
        ({"options": {"journalDirectories": 3}}, "spec.options.journalDirectories must be a string"),
        ({"autoRecovery": "yes"}, "spec.autoRecovery must be true or false, got 'yes'"),
    ],
)
def test_spec_types_are_checked_before_anything_is_sent(spec, problem):
    assert manifests.spec_problem(spec).startswith(problem)


def test_a_good_spec_passes():
    spec = {
        "version": "0.13.0",
        "replicas": 3,
        "upgradeTimeout": 10,
        "image": {"imageSpec": {"repository": "pravega/bookkeeper", "pullPolicy": "IfNotPresent"}},
        "options": {"journalDirectories": "/bk/journal"},
        "zookeeperUri": "zk:2181",
    }
    assert manifests.spec_problem(spec) is None
