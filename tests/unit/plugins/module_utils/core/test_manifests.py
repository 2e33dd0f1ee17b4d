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
        (
            {"storage": {"journalVolumeClaimTemplate": "1Gi"}},
            "spec.storage.journalVolumeClaimTemplate must be a mapping",
        ),
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


def cluster_with(**spec):
    return manifests.cluster("bk", "ns", dict({"version": "0.16.0", "replicas": 3}, **spec))


def test_each_storage_template_is_a_claim_of_every_bookie_mounted_where_the_bookie_keeps_it():
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    workload = manifests.statefulset(
        cluster_with(storage={"journalVolumeClaimTemplate": claim, "ledgerVolumeClaimTemplate": claim}), "0.16.0"
    )
    assert workload["spec"]["volumeClaimTemplates"] == [
        {"metadata": {"name": "journal"}, "spec": claim},
        {"metadata": {"name": "ledger"}, "spec": claim},
    ]
    [container] = workload["spec"]["template"]["spec"]["containers"]
    assert container["volumeMounts"] == [
        {"name": "journal", "mountPath": "/bk/journal"},
        {"name": "ledger", "mountPath": "/bk/ledgers"},
    ]


def test_without_storage_the_bookies_have_no_claims():
    workload = manifests.statefulset(cluster_with(), "0.16.0")
    assert "volumeClaimTemplates" not in workload["spec"]
    assert "volumeMounts" not in workload["spec"]["template"]["spec"]["containers"][0]


def test_each_cluster_keeps_its_ledgers_under_a_root_of_its_own_unless_the_options_name_one():
    assert manifests.config_map(cluster_with(), "0.16.0")["data"]["BK_zkLedgersRootPath"] == "/ns-bk"
    chosen = cluster_with(options={"zkLedgersRootPath": "/pravega/bk/ledgers"})
    assert manifests.config_map(chosen, "0.16.0")["data"]["BK_zkLedgersRootPath"] == "/pravega/bk/ledgers"
