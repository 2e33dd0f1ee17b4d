#!/usr/bin/env bash
# The real node of a local cluster (BK_NODES=real): a kubelet, containerd, runc and the CNI bridge,
# pulling the images of registry.yaml from a local registry. Started by `scripts/cluster.sh up`, stopped
# by `down`; see README.md beside this file.
#
#   node.sh up NAME KUBECONFIG      start the node of cluster NAME and wait until it is Ready
#   node.sh down NAME               stop it and remove everything it made; fails naming what is left
#   node.sh images NAME             build and push the images of registry.yaml again (after editing it)
#
# Nothing on the host is changed: containerd and the kubelet run in a private mount namespace where
# the kernel tunables they write are plain files and /run, /var/log and /var/lib are the node's own.
# What the host sees: the processes, one bridge (bkn<S>, 10.246.<S>.0/24) and one cgroup folder per
# hierarchy (bookkeeper-ops-NAME), each removed by `down`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cluster_dir="$(cd "$here/.." && pwd)"
# shellcheck source=/dev/null
source "$cluster_dir/versions.env"
cache="${BK_CACHE_DIR:-$HOME/.cache/bookkeeper-ops}"
bin="$cache/bin"
kubectl="$bin/k8s-v$K8S_VERSION/kubectl"
crane="$bin/crane-v$CRANE_VERSION/crane"
started=$SECONDS

say() { printf '[node %4ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

# The node's folder, and what it records for `down`.
setup_names() {
  name="$1"
  node="$cache/run/$name-node"
  node_name="$name-node"
  cgroup="bookkeeper-ops-$name"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

choose_subnet() { # a /24 of 10.246.0.0/16 that no address or other node of this machine uses
  local used start s
  used="$(ip -o -4 addr | awk '{print $4}') $(cat "$cache"/run/*-node/subnet 2>/dev/null || true)"
  start=$(($(printf '%s' "$name" | cksum | cut -d' ' -f1) % 250))
  for i in $(seq 0 249); do
    s=$(((start + i) % 250))
    case " $used " in *" 10.246.$s."* | *" $s "*) continue ;; esac
    [ -e "/sys/class/net/bkn$s" ] && continue
    echo "$s"
    return
  done
  say "no free /24 left in 10.246.0.0/16"
  return 1
}

pid_alive() { # pid_alive FILE PATTERN: the pid in FILE, if that process still runs something matching PATTERN
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -e "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" && echo "$pid"
}

# -- the registry

start_registry() {
  if pid_alive "$node/registry.pid" "registry serve" >/dev/null; then return; fi
  local port
  # The same port as before, if the node ran: containerd's configuration names it.
  port="$(sed -n 's/^localhost://p' "$node/registry" 2>/dev/null || true)"
  [ -n "$port" ] || port="$(free_port)"
  mkdir -p "$cache/registry"
  # Blobs are kept on disk across clusters; tags live in the registry's memory and are pushed at each start.
  setsid "$crane" registry serve --address "127.0.0.1:$port" --disk "$cache/registry" \
    </dev/null >>"$node/logs/registry.log" 2>&1 &
  echo $! >"$node/registry.pid"
  echo "localhost:$port" >"$node/registry"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && return
    sleep 0.1
  done
  say "the registry did not answer on 127.0.0.1:$port (log: $node/logs/registry.log)"
  return 1
}

push_images() {
  say "building and pushing the images of registry.yaml to $(cat "$node/registry") (cached after the first run)"
  python3 "$cluster_dir/images.py" --registry "$cluster_dir/registry.yaml" --bin "$bin" --cache "$cache/images" \
    --push "$(cat "$node/registry")" >&2
}

# -- configuration

write_config() {
  local kubeconfig="$1" subnet="$2" registry gateway
  registry="$(cat "$node/registry")"
  gateway="10.246.$subnet.1"
  mkdir -p "$node"/{conf,cni/net.d,cni/ipam,containerd/certs.d,kubelet/pki,fakesys,run,varlog,varlib-upper,varlib-work,logs}
  cat >"$node/conf/containerd.toml" <<EOF
version = 3
root = "$node/containerd/root"
state = "$node/containerd/state"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$node/containerd.sock"
[ttrpc]
  address = "$node/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$node/containerd/opt"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "$registry/bookkeeper-ops/pause:$K8S_VERSION"
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = "$node/containerd/certs.d"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_cdi = false
    # Root here may lack CAP_SYS_RESOURCE: runc could not lower the pause container's oom_score_adj.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "$bin/runc-v$RUNC_VERSION/runc"
          Root = "$node/containerd/runc-root"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["$bin/cni-v$CNI_PLUGINS_VERSION"]
      conf_dir = "$node/cni/net.d"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
EOF
  # Every registry host registry.yaml names is served by the local registry, and by nothing else:
  # an image it does not hold fails to pull, as a missing tag does on a user's cluster.
  local host
  for host in $(python3 "$cluster_dir/images.py" --registry "$cluster_dir/registry.yaml" --hosts); do
    mkdir -p "$node/containerd/certs.d/$host"
    printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$registry" "$registry" >"$node/containerd/certs.d/$host/hosts.toml"
  done
  cat >"$node/cni/net.d/10-bookkeeper-ops.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "bookkeeper-ops-$name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "bkn$subnet",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$node/cni/ipam",
        "ranges": [[{"subnet": "10.246.$subnet.0/24", "gateway": "$gateway"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
  local ca
  ca="$(dirname "$kubeconfig")/pki/ca.crt"
  cat >"$node/conf/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
# Pods of this node live under a cgroup of its own in every hierarchy, removed by down.
cgroupRoot: /$cgroup
failSwapOn: false
containerRuntimeEndpoint: unix://$node/containerd.sock
address: $gateway
port: $(free_port)
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(free_port)
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $ca}
authorization: {mode: Webhook}
clusterDomain: cluster.local
# No DNS server runs: a pod's lookups fail at once instead of waiting on the host's resolvers.
resolvConf: ""
maxPods: 60
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
serializeImagePulls: true
protectKernelDefaults: false
EOF
  cp "$kubeconfig" "$node/conf/kubeconfig.yaml"
}

# -- start and stop

start_node() {
  local subnet="$1" gateway="10.246.$1.1"
  # The bridge first: the kubelet listens on its address (a node's IP cannot be loopback).
  if [ ! -e "/sys/class/net/bkn$subnet" ]; then
    ip link add "bkn$subnet" type bridge
    ip addr add "$gateway/24" dev "bkn$subnet"
  fi
  ip link set "bkn$subnet" up
  # The kubelet wants its cgroup root to exist in every hierarchy.
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    mkdir -p "$hierarchy$cgroup"
  done
  setsid unshare --mount --propagation private "$here/inside.sh" "$node" "$bin" "$K8S_VERSION" "$CONTAINERD_VERSION" \
    "$node_name" "$gateway" </dev/null >>"$node/logs/node.log" 2>&1 &
  echo $! >"$node/node.pid"
}

wait_ready() {
  local k=("$kubectl" --kubeconfig "$node/conf/kubeconfig.yaml") deadline=$((SECONDS + 120))
  until "${k[@]}" get node "$node_name" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! pid_alive "$node/node.pid" inside.sh >/dev/null; then
      say "the kubelet did not register $node_name: see $node/logs/kubelet.log and containerd.log"
      return 1
    fi
    sleep 0.5
  done
  "${k[@]}" wait --for=condition=Ready "node/$node_name" --timeout=120s >&2
}

up() {
  local kubeconfig="$2" subnet
  setup_names "$1"
  mkdir -p "$node/logs"
  subnet="$(cat "$node/subnet" 2>/dev/null)" || { subnet="$(choose_subnet)" && echo "$subnet" >"$node/subnet"; }
  start_registry
  push_images
  if pid_alive "$node/node.pid" inside.sh >/dev/null; then
    say "node $node_name runs already"
    start_system
    return
  fi
  write_config "$kubeconfig" "$subnet"
  say "starting node $node_name: containerd v$CONTAINERD_VERSION, kubelet v$K8S_VERSION, bridge bkn$subnet (10.246.$subnet.0/24)"
  start_node "$subnet"
  wait_ready
  start_system
  say "node $node_name is Ready (logs: $node/logs)"
}

start_system() { # ZooKeeper, the default StorageClass and its provisioner (system.yaml)
  local k=("$kubectl" --kubeconfig "$node/conf/kubeconfig.yaml")
  # shellcheck source=/dev/null
  source "$cluster_dir/bookkeeper/versions.env"
  if ! pid_alive "$node/volumes.pid" volumes.py >/dev/null; then
    setsid python3 "$here/volumes.py" --kubeconfig "$node/conf/kubeconfig.yaml" --root "$node/volumes" \
      </dev/null >>"$node/logs/volumes.log" 2>&1 &
    echo $! >"$node/volumes.pid"
  fi
  sed -e "s|REGISTRY|$(cat "$node/registry")|" -e "s|ZOOKEEPER_VERSION|$ZOOKEEPER_VERSION|" "$here/system.yaml" |
    "${k[@]}" apply -f - >&2
  "${k[@]}" wait --for=condition=Ready pod/zookeeper -n bookkeeper-ops-system --timeout=120s >&2
}

cgroup_dirs() { # this node's cgroup folder in every hierarchy
  find /sys/fs/cgroup -maxdepth 2 -type d -name "$cgroup" 2>/dev/null
}

node_pids() { # every process of this node: those in its cgroups, and those started from its folder
  local dir
  for dir in $(cgroup_dirs); do find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null; done
  { grep -l -F -- "$node/" /proc/[0-9]*/cmdline 2>/dev/null || true; } | cut -d/ -f3
}

down() {
  setup_names "$1"
  [ -d "$node" ] || return 0
  local pid subnet left dir
  subnet="$(cat "$node/subnet" 2>/dev/null)" || subnet=""
  # The kubelet first (it would restart containers), then the containers, then their shims and containerd:
  # stopping containerd first leaves shims re-parented to PID 1.
  pid="$(pid_alive "$node/node.pid" inside.sh)" && kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15)) pids
  while pids="$(node_pids | sort -u)" && [ -n "$pids" ] && [ $SECONDS -lt $deadline ]; do
    for pid in $pids; do
      [ "$pid" = "$$" ] || kill -9 "$pid" 2>/dev/null || true
    done
    sleep 0.2
  done
  pid="$(pid_alive "$node/registry.pid" "registry serve")" && kill "$pid" 2>/dev/null || true
  # With its last process gone, the node's mount namespace goes, its pods' network namespaces with it,
  # and the veths in them; the bridge and the cgroups are the host's and go now.
  [ -n "$subnet" ] && [ -e "/sys/class/net/bkn$subnet" ] && ip link del "bkn$subnet"
  for dir in $(cgroup_dirs); do
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "${node:?}"
  left="$(node_pids | sort -u | tr '\n' ' ')"
  [ -n "${left// /}" ] && left="processes $left"
  [ -n "$subnet" ] && [ -e "/sys/class/net/bkn$subnet" ] && left="$left link bkn$subnet"
  [ -n "$(cgroup_dirs)" ] && left="$left cgroups $(cgroup_dirs | tr '\n' ' ')"
  if [ -n "${left// /}" ]; then
    say "the node of $name left: $left"
    return 1
  fi
  say "node $node_name stopped (no process, link, cgroup or folder left)"
}

case "${1:-}" in
  up) up "$2" "$3" ;;
  down) down "$2" ;;
  images)
    setup_names "$2"
    push_images
    ;;
  *)
    echo "usage: node.sh up NAME KUBECONFIG | down NAME | images NAME" >&2
    exit 2
    ;;
esac
