# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The objects that make up a BookKeeper cluster, built from its spec.

The layout follows the Pravega BookKeeper operator: a StatefulSet
``<name>-bookie`` with the OnDelete strategy (pods are replaced only when the
rollout evicts them), a headless Service, a ConfigMap of environment
variables read through envFrom, and a PodDisruptionBudget. Each pod carries
the ``bookkeeper.version`` annotation that records its version. With
``spec.storage`` (the Pravega operator's field) each bookie keeps its journal,
ledgers and index on claims of its own, found again by its replacement.
"""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import resource, versions
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.resource import repository, spec_replicas

BOOKIE_PORT = 3181
ADMIN_PORT = 8000
# Ready when BookKeeper's admin server says the bookie is (running, not shutting down). The Pravega operator's
# probe starts a BookKeeper shell JVM (bookiesanity) every 10 s on every bookie: 1.5 to 3.5 CPU seconds each,
# which on a small node starves the bookies and times out the probes of Ready ones (docs/performance.md).
READINESS_PROBE = {
    "httpGet": {"path": "/api/v1/bookie/is_ready", "port": ADMIN_PORT},
    "initialDelaySeconds": 3,
    # Each second: an HTTP answer costs the bookie nothing, and a replaced bookie is seen Ready within a second
    # of BookKeeper calling it ready (the rollout waits for that before the next bookie goes).
    "periodSeconds": 1,
    # Generous: on a busy node a JVM starting beside a bookie may delay its answer by seconds, and a Ready
    # bookie that turns unready for that would count as a second one down.
    "timeoutSeconds": 5,
    "failureThreshold": 10,
}
# spec.storage's claim templates, the volume each one names, and where the bookie finds it (as in the
# Pravega image: /bk/journal, /bk/ledgers, /bk/index).
STORAGE = (
    ("journalVolumeClaimTemplate", "journal", "/bk/journal"),
    ("ledgerVolumeClaimTemplate", "ledger", "/bk/ledgers"),
    ("indexVolumeClaimTemplate", "index", "/bk/index"),
)
DEFAULT_JVM = {
    "memoryOpts": ["-Xms1g", "-XX:MaxDirectMemorySize=1g"],
    "gcOpts": ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10"],
    "gcLoggingOpts": ["-Xlog:gc*"],
    "extraOpts": [],
}


# The spec fields whose type the workload depends on, as the CRD declares them: checked before
# anything is sent, since the API server would refuse them only after the first write attempt.
_SPEC_TYPES = {
    ("version",): str,
    ("replicas",): int,
    ("upgradeTimeout",): int,
    ("maxUnavailableBookkeeperReplicas",): int,
    ("zookeeperUri",): str,
    ("autoRecovery",): bool,
    ("options",): dict,
    ("jvmOptions",): dict,
    ("image",): dict,
    ("image", "imageSpec"): dict,
    ("image", "imageSpec", "repository"): str,
    ("image", "imageSpec", "pullPolicy"): str,
    ("storage",): dict,
}
_SPEC_TYPES.update({("storage", template): dict for template, _volume, _path in STORAGE})
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "a mapping"}


def spec_problem(spec):
    """What is wrong with the types of a cluster spec, or None."""
    for path, expected in sorted(_SPEC_TYPES.items()):
        value, found = spec, True
        for key in path:
            if not isinstance(value, dict) or key not in value:
                found = False
                break
            value = value[key]
        if not found or value is None:
            continue
        wrong = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
        if wrong:
            return "spec.%s must be %s, got %r" % (".".join(path), _TYPE_NAMES[expected], value)
    for key, value in (spec.get("options") or {}).items():
        if not isinstance(value, str):
            return "spec.options.%s must be a string (BookKeeper options are strings), got %r" % (key, value)
    if isinstance(spec.get("replicas"), int) and not isinstance(spec.get("replicas"), bool) and spec["replicas"] < 1:
        return "spec.replicas must be 1 or more, got %d" % spec["replicas"]
    return None


def cluster(name, namespace, spec):
    """The BookkeeperCluster resource for ``spec`` (camelCase fields, as the CRD has them)."""
    return {
        "apiVersion": resource.API_VERSION,
        "kind": resource.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def config_map(cr, version):
    spec = cr["spec"]
    name = cr["metadata"]["name"]
    jvm = dict(DEFAULT_JVM)
    jvm.update(spec.get("jvmOptions") or {})
    data = {
        "BOOKIE_MEM_OPTS": " ".join(jvm["memoryOpts"]),
        "BOOKIE_GC_OPTS": " ".join(jvm["gcOpts"]),
        "BOOKIE_GC_LOGGING_OPTS": " ".join(jvm["gcLoggingOpts"]),
        "BOOKIE_EXTRA_OPTS": " ".join(jvm["extraOpts"]),
        "ZK_URL": spec.get("zookeeperUri") or "zookeeper-client:2181",
        "BK_useHostNameAsBookieID": "false" if versions.compare(version, "0.5.0") < 0 else "true",
        "BK_autoRecoveryDaemonEnabled": "true" if spec.get("autoRecovery", True) else "false",
        "BK_lostBookieRecoveryDelay": "60",
        # The admin server the readiness probe and the health gate ask.
        "BK_httpServerEnabled": "true",
        "BK_httpServerPort": str(ADMIN_PORT),
        # A root of its own in the ZooKeeper clusters may share; options.zkLedgersRootPath sets another.
        "BK_zkLedgersRootPath": "/%s-%s" % (cr["metadata"]["namespace"], name),
    }
    for key, value in sorted((spec.get("options") or {}).items()):
        data["BK_%s" % key] = str(value)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": resource.workload_name(name),
            "namespace": cr["metadata"]["namespace"],
            "labels": resource.labels(name),
        },
        "data": data,
    }


def service(cr):
    name = cr["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "%s-headless" % resource.workload_name(name),
            "namespace": cr["metadata"]["namespace"],
            "labels": resource.labels(name, resource.BOOKIE),
        },
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": resource.labels(name, resource.BOOKIE),
            "ports": [{"name": "bookie", "port": BOOKIE_PORT}],
        },
    }


def disruption_budget(cr):
    name = cr["metadata"]["name"]
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": resource.workload_name(name),
            "namespace": cr["metadata"]["namespace"],
            "labels": resource.labels(name),
        },
        "spec": {
            "maxUnavailable": cr["spec"].get("maxUnavailableBookkeeperReplicas") or 1,
            "selector": {"matchLabels": resource.labels(name, resource.BOOKIE)},
        },
    }


def statefulset(cr, version):
    """The bookie StatefulSet with its pod template at ``version``."""
    spec = cr["spec"]
    name = cr["metadata"]["name"]
    image_spec = (spec.get("image") or {}).get("imageSpec") or {}
    resources = spec.get("resources") or {"requests": {"cpu": "100m", "memory": "256Mi"}}
    workload = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": resource.workload_name(name),
            "namespace": cr["metadata"]["namespace"],
            "labels": resource.labels(name),
        },
        "spec": {
            "serviceName": "%s-headless" % resource.workload_name(name),
            "replicas": spec_replicas(cr),
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "OnDelete"},
            "selector": {"matchLabels": resource.labels(name, resource.BOOKIE)},
            "template": {
                "metadata": {
                    "labels": resource.labels(name, resource.BOOKIE),
                    "annotations": {resource.VERSION_ANNOTATION: version},
                },
                "spec": {
                    "containers": [
                        {
                            "name": "bookie",
                            "image": versions.image(repository(cr), version),
                            "imagePullPolicy": image_spec.get("pullPolicy") or "IfNotPresent",
                            "envFrom": [{"configMapRef": {"name": resource.workload_name(name)}}],
                            "ports": [
                                {"name": "bookie", "containerPort": BOOKIE_PORT},
                                {"name": "admin", "containerPort": ADMIN_PORT},
                            ],
                            "readinessProbe": READINESS_PROBE,
                            "resources": resources,
                        }
                    ],
                },
            },
        },
    }
    storage = spec.get("storage") or {}
    claims = [(template, volume, path) for template, volume, path in STORAGE if storage.get(template)]
    if claims:
        workload["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
            {"name": volume, "mountPath": path} for _template, volume, path in claims
        ]
        workload["spec"]["volumeClaimTemplates"] = [
            {"metadata": {"name": volume}, "spec": storage[template]} for template, volume, _path in claims
        ]
    return workload


def workload(cr, version):
    """Every namespaced object of the cluster, in the order they are applied."""
    return [config_map(cr, version), service(cr), disruption_budget(cr), statefulset(cr, version)]
