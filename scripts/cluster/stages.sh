#!/usr/bin/env bash
# Prints the kwok Stages that make pods behave as registry.txt says.
# Usage: stages.sh REGISTRY READY_MILLISECONDS
set -euo pipefail
registry="$1" ready_ms="$2"

images() { # images BEHAVIOUR...: the registry's images with one of these behaviours, as a YAML list
  awk -v wanted=" $* " '!/^#/ && NF == 2 && index(wanted, " " $2 " ") {printf "      - %s\n", $1}' "$registry"
}
list_ready="$(images ready)"
list_crash="$(images crash)"
list_unready="$(images never-ready)"
list_known="$(images ready crash never-ready)"

stage() { # stage NAME SELECTOR-EXPRESSIONS DELAY-MS NEXT
  cat <<YAML
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: $1
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
$2
  delay:
    durationMilliseconds: $3
  next:
$4
YAML
}

alive='    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: .spec.nodeName
      operator: Exists'
pending='    - key: .status.phase
      operator: In
      values: [Pending]'
image_in() { printf '    - key: .spec.containers.[].image\n      operator: %s\n      values:\n%s' "$1" "$2"; }

running_status() { # running_status READY(true|false) CONTAINER-STATE-YAML
  local condition=False
  [ "$1" = true ] && condition=True
  cat <<YAML
    statusTemplate: |
      {{ \$now := Now }}
      {{ \$restarts := 0 }}
      {{ range (or .status.containerStatuses list) }}{{ \$restarts = .restartCount }}{{ end }}
      phase: Running
      startTime: {{ or .status.startTime \$now | Quote }}
      hostIP: 127.0.0.1
      podIP: 127.0.0.1
      conditions:
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ \$now | Quote }}}
      - {type: Initialized, status: "True", lastTransitionTime: {{ \$now | Quote }}}
      - {type: ContainersReady, status: "$condition", lastTransitionTime: {{ \$now | Quote }}}
      - {type: Ready, status: "$condition", lastTransitionTime: {{ \$now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: $1
        started: $1
$2
      {{ end }}
YAML
}

stage bk-pod-ready "$alive
$pending
$(image_in In "$list_ready")" "$ready_ms" "$(running_status true '        restartCount: 0
        state: {running: {startedAt: {{ $now | Quote }}}}')"

stage bk-pod-never-ready "$alive
$pending
$(image_in In "$list_unready")" 500 "$(running_status false '        restartCount: 0
        state: {running: {startedAt: {{ $now | Quote }}}}')"

# Each restart changes restartCount, so the stage fires again after its delay.
stage bk-pod-crash-loop "$alive
$(image_in In "$list_crash")" 2000 "$(running_status false '        restartCount: {{ add1 $restarts }}
        lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: {{ $now | Quote }}}}
        state: {waiting: {reason: CrashLoopBackOff, message: "back-off restarting failed container"}}')"

pull_status() { # pull_status REASON MESSAGE
  cat <<YAML
    statusTemplate: |
      {{ \$now := Now }}
      phase: Pending
      hostIP: 127.0.0.1
      conditions:
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ \$now | Quote }}}
      - {type: Ready, status: "False", reason: ContainersNotReady, lastTransitionTime: {{ \$now | Quote }}}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        started: false
        restartCount: 0
        state: {waiting: {reason: $1, message: "$2"}}
      {{ end }}
YAML
}

stage bk-pod-image-pull-error "$alive
$(image_in NotIn "$list_known")
    - key: .status.containerStatuses.[].state.waiting.reason
      operator: NotIn
      values: [ErrImagePull, ImagePullBackOff]" 500 "$(pull_status ErrImagePull 'image not found in the local registry (scripts/cluster/registry.txt)')"

stage bk-pod-image-pull-backoff "$alive
$(image_in NotIn "$list_known")
    - key: .status.containerStatuses.[].state.waiting.reason
      operator: In
      values: [ErrImagePull]" 1000 "$(pull_status ImagePullBackOff 'Back-off pulling image')"

node_stage() { # node_stage NAME SELECTOR-EXPRESSIONS DELAY-MS
  cat <<YAML
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: $1
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
$2
  delay:
    durationMilliseconds: $3
  next:
    statusTemplate: |
      {{ \$now := Now }}
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: "kwok simulates this node",
         lastHeartbeatTime: {{ \$now | Quote }}, lastTransitionTime: {{ or .metadata.creationTimestamp \$now | Quote }}}
      {{ range list "MemoryPressure" "DiskPressure" "PIDPressure" "NetworkUnavailable" }}
      - {type: {{ . }}, status: "False", reason: KubeletHasNo{{ . }}, message: "kwok simulates this node",
         lastHeartbeatTime: {{ \$now | Quote }}, lastTransitionTime: {{ or \$.metadata.creationTimestamp \$now | Quote }}}
      {{ end }}
      addresses:
      - {type: InternalIP, address: 127.0.0.1}
      - {type: Hostname, address: {{ .metadata.name | Quote }}}
      allocatable: {{ YAML .status.allocatable 1 }}
      capacity: {{ YAML .status.capacity 1 }}
      nodeInfo: {kubeletVersion: kwok, kubeProxyVersion: kwok, architecture: amd64, operatingSystem: linux,
                 containerRuntimeVersion: kwok, osImage: kwok, kernelVersion: kwok, machineID: "", systemUUID: "",
                 bootID: ""}
      phase: Running
YAML
}

# A node becomes Ready at once, then its heartbeat is refreshed every 20 s.
node_stage bk-node-initialize '    - key: .status.conditions.[] | select(.type == "Ready") | .status
      operator: NotIn
      values: ["True"]' 0
node_stage bk-node-heartbeat '    - key: .status.conditions.[] | select(.type == "Ready") | .status
      operator: In
      values: ["True"]' 20000

stage bk-pod-delete '    - key: .metadata.deletionTimestamp
      operator: Exists' 0 '    delete: true'
