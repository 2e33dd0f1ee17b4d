#!/usr/bin/env python3
"""Print the kwok Stages that make the fake kubelets behave as registry.yaml says.

Usage: stages.py REGISTRY.yaml [--ready-seconds N]   (multi-document YAML on stdout)

Every pod gets one *behaviour*, computed by a jq expression over the images of its
containers and init containers: "missing" (an image not in the registry) beats "crash",
which beats "never-ready", which beats "ready". The stages below select on it:

  pod start       Pending -> Running, containers running, not Ready   (ready, never-ready, crash)
  pod ready       Running, not Ready -> Ready after the images' ready delay        (ready)
  pod crash       Running -> restartCount+1, CrashLoopBackOff; fires again after a
                  doubling back-off while the pod lives                            (crash)
  pod pull error  -> Pending, ErrImagePull on the missing images                   (missing)
  pod pull backoff ErrImagePull -> ImagePullBackOff, then stays                    (missing)
  pod delete      deletionTimestamp set -> that very pod is removed (grace 0), never a new one of its name
  node initialize / node heartbeat: nodes Ready, conditions refreshed every minute

Selectors are mutually exclusive, so no weights are needed.
"""

import argparse
import json
import sys

import yaml

BEHAVIOURS = ("ready", "never-ready", "crash", "bookie")
# A real bookie runs only on a real node (BK_NODES=real); on simulated nodes its image is simply ready.
SIMULATED_AS = {"bookie": "ready"}
# How a container image reference is normalised before looking it up (jq and Go template).
JQ_NORMALISE = 'sub("^docker\\\\.io/(library/)?"; "")'
TPL_NORMALISE = '| trimPrefix "docker.io/library/" | trimPrefix "docker.io/"'


def load(path, ready_seconds=None):
    with open(path) as handle:
        data = yaml.safe_load(handle) or {}
    default_delay = float(data.get("readyDelaySeconds", 1) if ready_seconds is None else ready_seconds)
    images = {}
    for image, spec in (data.get("images") or {}).items():
        spec = spec or {}
        behaviour = spec.get("behaviour", "ready")
        if behaviour not in BEHAVIOURS:
            raise SystemExit("%s: image %s: behaviour must be one of %s" % (path, image, ", ".join(BEHAVIOURS)))
        delay = float(spec.get("readyDelaySeconds", default_delay))
        images[image] = {"behaviour": SIMULATED_AS.get(behaviour, behaviour), "readyMs": int(delay * 1000)}
    return {
        "images": images,
        "readyMs": int(default_delay * 1000),
        "crashMs": int(float(data.get("crashBackoffSeconds", 1)) * 1000),
        "crashMaxMs": int(float(data.get("crashBackoffMaxSeconds", 8)) * 1000),
    }


def jq_behaviour(registry):
    """jq: the pod's behaviour, as one string."""
    table = json.dumps({image: spec["behaviour"] for image, spec in registry["images"].items()}, sort_keys=True)
    return (
        "%s as $registry | [(.spec.initContainers // [])[], .spec.containers[]"
        ' | .image | %s | $registry[.] // "missing"]'
        ' | if any(. == "missing") then "missing"'
        ' elif any(. == "crash") then "crash"'
        ' elif any(. == "never-ready") then "never-ready" else "ready" end'
    ) % (table, JQ_NORMALISE)


def jq_ready_delay(registry):
    """jq: how long the pod's slowest container takes to become Ready, as a Go duration."""
    table = json.dumps({image: spec["readyMs"] for image, spec in registry["images"].items()}, sort_keys=True)
    return '%s as $delay | [.spec.containers[].image | %s | $delay[.] // %d] | max | "\\(.)ms"' % (
        table,
        JQ_NORMALISE,
        registry["readyMs"],
    )


def jq_crash_backoff(registry):
    """jq: the next crash comes after a back-off that doubles with each restart, up to a cap."""
    return (
        "(([(.status.containerStatuses // [])[].restartCount] | max) // 0) as $n"
        ' | [%d * pow(2; $n), %d] | min | floor | "\\(.)ms"'
    ) % (registry["crashMs"], registry["crashMaxMs"])


def tpl_registry(registry):
    """Go template: $behaviour maps a known image to its behaviour."""
    pairs = " ".join(
        "%s %s" % (json.dumps(i), json.dumps(s["behaviour"])) for i, s in sorted(registry["images"].items())
    )
    return "{{ $behaviour := dict %s }}" % pairs


def expr(key, operator, *values):
    item = {"key": key, "operator": operator}
    if values:
        item["values"] = list(values)
    return item


ALIVE = [expr(".metadata.deletionTimestamp", "DoesNotExist"), expr(".spec.nodeName", "Exists")]


def stage(name, kind, expressions, next_, delay_ms=0, delay_from=None, events=None):
    delay = {"durationMilliseconds": delay_ms}
    if delay_from:
        delay["durationFrom"] = {"jq": {"expression": delay_from}}
    spec = {
        "resourceRef": {"apiGroup": "v1", "kind": kind},
        "selector": {"matchExpressions": expressions},
        "delay": delay,
        "next": next_,
    }
    if events:
        spec["next"]["event"] = events
    return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": name}, "spec": spec}


# Pod status templates. `.` is the pod; the result is merged into .status.
POD_HEAD = """{{ $now := Now }}
{{ $restarts := dict }}
{{ range (or .status.containerStatuses list) }}{{ $_ := set $restarts .name .restartCount }}{{ end }}
hostIP: 127.0.0.1
hostIPs: [{ip: 127.0.0.1}]
podIP: 127.0.0.1
podIPs: [{ip: 127.0.0.1}]
startTime: {{ or .status.startTime $now | Quote }}
"""


def conditions(initialized, ready, reason=""):
    why = ', reason: "%s"' % reason if reason else ""
    return """conditions:
- {type: PodScheduled, status: "True", lastTransitionTime: {{ $now | Quote }}}
- {type: Initialized, status: "%s", lastTransitionTime: {{ $now | Quote }}}
- {type: ContainersReady, status: "%s"%s, lastTransitionTime: {{ $now | Quote }}}
- {type: Ready, status: "%s"%s, lastTransitionTime: {{ $now | Quote }}}
""" % (initialized, ready, why, ready, why)


INIT_DONE = """{{ with .spec.initContainers }}initContainerStatuses:{{ end }}
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ .image | Quote }}
  ready: true
  restartCount: 0
  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}
{{ end }}
"""


def running(ready):
    return (
        POD_HEAD
        + "phase: Running\n"
        + conditions("True", "True" if ready else "False", "" if ready else "ContainersNotReady")
        + INIT_DONE
        + """containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ .image | Quote }}
  ready: %s
  started: true
  restartCount: {{ get $restarts .name | default 0 }}
  state: {running: {startedAt: {{ $now | Quote }}}}
{{ end }}
"""
        % ("true" if ready else "false")
    )


def crashed(registry):
    return (
        tpl_registry(registry)
        + POD_HEAD
        + "phase: Running\n"
        + conditions("True", "False", "ContainersNotReady")
        + INIT_DONE
        + """containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: {{ .image | Quote }}
  ready: false
{{ if eq (get $behaviour (.image %s)) "crash" }}
  started: false
  restartCount: {{ add1 (get $restarts .name | default 0) }}
  lastState: {terminated: {exitCode: 1, reason: Error, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}
  {{ $message := printf "back-off restarting failed container %%s" .name }}
  state: {waiting: {reason: CrashLoopBackOff, message: {{ $message | Quote }}}}
{{ else }}
  started: true
  restartCount: {{ get $restarts .name | default 0 }}
  state: {running: {startedAt: {{ $now | Quote }}}}
{{ end }}
{{ end }}
"""
        % TPL_NORMALISE
    )


def pull_failed(registry, reason):
    """Pending; the missing images wait with REASON, the others wait for them."""
    return (
        tpl_registry(registry)
        + """{{ $now := Now }}
{{ $initMissing := false }}
{{ range .spec.initContainers }}
{{ if not (hasKey $behaviour (.image %(n)s)) }}{{ $initMissing = true }}{{ end }}
{{ end }}
hostIP: 127.0.0.1
hostIPs: [{ip: 127.0.0.1}]
phase: Pending
"""
        % {"n": TPL_NORMALISE}
        + conditions("{{ if $initMissing }}False{{ else }}True{{ end }}", "False", "ContainersNotReady")
        + """{{ with .spec.initContainers }}initContainerStatuses:{{ end }}
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  restartCount: 0
{{ if not (hasKey $behaviour (.image %(n)s)) }}
  state: {waiting: {reason: %(r)s, message: {{ printf "%(m)s" .image | Quote }}}}
{{ else if $initMissing }}
  state: {waiting: {reason: PodInitializing}}
{{ else }}
  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}
{{ end }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  restartCount: 0
{{ if $initMissing }}
  state: {waiting: {reason: PodInitializing}}
{{ else if not (hasKey $behaviour (.image %(n)s)) }}
  state: {waiting: {reason: %(r)s, message: {{ printf "%(m)s" .image | Quote }}}}
{{ else }}
  state: {waiting: {reason: ContainerCreating}}
{{ end }}
{{ end }}
"""
        % {
            "n": TPL_NORMALISE,
            "r": reason,
            "m": (
                'Failed to pull image \\"%s\\": not found (not listed in scripts/cluster/registry.yaml)'
                if reason == "ErrImagePull"
                else 'Back-off pulling image \\"%s\\"'
            ),
        }
    )


JQ_PULL_STATE = (
    '[(.status.initContainerStatuses // [])[], (.status.containerStatuses // [])[] | .state.waiting.reason // ""]'
    ' | if any(. == "ImagePullBackOff") then "backoff" elif any(. == "ErrImagePull") then "error" else "none" end'
)
JQ_READY = '[(.status.conditions // [])[] | select(.type == "Ready") | .status] | first // "False"'

NODE_STATUS = """{{ $now := Now }}
conditions:
- {type: Ready, status: "True", reason: KubeletReady, message: "kubelet is posting ready status (kwok)",
   lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ or .metadata.creationTimestamp $now | Quote }}}
{{ range list "MemoryPressure" "DiskPressure" "PIDPressure" }}
- {type: {{ . }}, status: "False", reason: KubeletHasNo{{ . }}, message: "kwok simulates this node",
   lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ or $.metadata.creationTimestamp $now | Quote }}}
{{ end }}
- {type: NetworkUnavailable, status: "False", reason: RouteCreated, message: "kwok simulates this node",
   lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ or .metadata.creationTimestamp $now | Quote }}}
addresses:
- {type: InternalIP, address: 127.0.0.1}
- {type: Hostname, address: {{ .metadata.name | Quote }}}
allocatable: {{ YAML .status.allocatable 1 }}
capacity: {{ YAML .status.capacity 1 }}
nodeInfo: {kubeletVersion: kwok, kubeProxyVersion: kwok, architecture: amd64, operatingSystem: linux,
           containerRuntimeVersion: "kwok://simulated", osImage: kwok, kernelVersion: kwok, machineID: "",
           systemUUID: "", bootID: ""}
phase: Running
"""
# kwok deletes a pod by name, from a job made from one watch event of it, and its own grace-0 update of the
# pod is such an event: a job made from it after the pod is gone deletes the pod the StatefulSet controller
# has just made in the same name. So the delete stage first marks the pod with a patch carrying the
# resourceVersion the job saw: the API server applies it to that very version of that very pod only (409
# otherwise, 404 once it is gone, and the job stops), and a marked pod is not selected again.
REMOVING = "kwok.bookkeeper-ops.local/removing"
JQ_REMOVING = '.metadata.annotations["%s"]' % REMOVING
REMOVING_MARK = """metadata:
  resourceVersion: {{ .metadata.resourceVersion | Quote }}
  annotations: {%s: {{ .metadata.uid | Quote }}}
""" % json.dumps(REMOVING)

JQ_NODE_READY = '[(.status.conditions // [])[] | select(.type == "Ready") | .status] | first // "Unknown"'


def stages(registry):
    behaviour = jq_behaviour(registry)
    return [
        stage(
            "bk-pod-start",
            "Pod",
            ALIVE
            + [
                expr(".status.phase", "In", "Pending"),
                expr(behaviour, "In", "ready", "never-ready", "crash"),
            ],
            {"statusTemplate": running(ready=False)},
        ),
        stage(
            "bk-pod-ready",
            "Pod",
            ALIVE
            + [expr(".status.phase", "In", "Running"), expr(JQ_READY, "NotIn", "True"), expr(behaviour, "In", "ready")],
            {"statusTemplate": running(ready=True)},
            delay_ms=registry["readyMs"],
            delay_from=jq_ready_delay(registry),
        ),
        stage(
            "bk-pod-crash",
            "Pod",
            ALIVE + [expr(".status.phase", "In", "Running"), expr(behaviour, "In", "crash")],
            {"statusTemplate": crashed(registry)},
            delay_ms=registry["crashMs"],
            delay_from=jq_crash_backoff(registry),
            events={"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container"},
        ),
        stage(
            "bk-pod-pull-error",
            "Pod",
            ALIVE + [expr(behaviour, "In", "missing"), expr(JQ_PULL_STATE, "In", "none")],
            {"statusTemplate": pull_failed(registry, "ErrImagePull")},
            delay_ms=300,
            events={"type": "Warning", "reason": "Failed", "message": "Failed to pull image: not found"},
        ),
        stage(
            "bk-pod-pull-backoff",
            "Pod",
            ALIVE + [expr(behaviour, "In", "missing"), expr(JQ_PULL_STATE, "In", "error")],
            {"statusTemplate": pull_failed(registry, "ImagePullBackOff")},
            delay_ms=2000,
            events={"type": "Normal", "reason": "BackOff", "message": "Back-off pulling image"},
        ),
        stage(
            "bk-pod-delete",
            "Pod",
            [expr(".metadata.deletionTimestamp", "Exists"), expr(JQ_REMOVING, "DoesNotExist")],
            {"patches": [{"type": "merge", "template": REMOVING_MARK}], "delete": True},
        ),
        stage(
            "bk-node-initialize",
            "Node",
            [expr(JQ_NODE_READY, "NotIn", "True")],
            {"statusTemplate": NODE_STATUS},
        ),
        # Nodes also renew their Lease (kwok does that); the status itself is refreshed each minute.
        stage(
            "bk-node-heartbeat",
            "Node",
            [expr(JQ_NODE_READY, "In", "True")],
            {"statusTemplate": NODE_STATUS},
            delay_ms=60000,
        ),
    ]


def _block(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry")
    parser.add_argument("--ready-seconds", type=float, help="default Running-to-Ready delay (overrides the file's)")
    args = parser.parse_args(argv)
    registry = load(args.registry, args.ready_seconds)
    yaml.SafeDumper.add_representer(str, _block)
    yaml.safe_dump_all(stages(registry), sys.stdout, sort_keys=False, width=1000, explicit_start=True)


if __name__ == "__main__":
    main()
