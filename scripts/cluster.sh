#!/usr/bin/env bash
# The local Kubernetes control plane for the tests and the demo: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler built from their Go
# modules, with kwok simulating three nodes and their kubelets. Loopback only.
# With BK_NODES=real the cluster's one node is real instead: a kubelet, containerd
# and runc run every pod from images in a local registry (cluster/node/README.md).
#
#   scripts/cluster.sh build    build the binaries when missing (cached, see cluster/README.md)
#   scripts/cluster.sh up       start the cluster; the last line printed is the KUBECONFIG path
#   scripts/cluster.sh down     stop it and remove its state
#   scripts/cluster.sh status   say whether it runs
#   scripts/cluster.sh kubectl ARGS   the built kubectl on this cluster (or on BK_KUBECONFIG)
#   scripts/cluster.sh kubectl-path   where the built kubectl is
#   scripts/cluster.sh helm-path      where the built helm client is
#   scripts/cluster.sh zookeeper      the ZooKeeper of the real bookies (IP:port), on a BK_NODES=real cluster
#   scripts/cluster.sh bookkeeper-lib RELEASE   the classpath directory of a fetched BookKeeper release
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=/dev/null
source "$here/cluster/versions.env"
cache="${BK_CACHE_DIR:-$HOME/.cache/bookkeeper-ops}"
name="${BK_CLUSTER_NAME:-bookkeeper-ops}"
bin="$cache/bin"
kwokctl="$bin/kwok-v$KWOK_VERSION/kwokctl"
kubectl="$bin/k8s-v$K8S_VERSION/kubectl"
export KWOK_WORKDIR="$cache/kwok"
kubeconfig="$KWOK_WORKDIR/clusters/$name/kubeconfig.yaml"
started=$SECONDS
nodes="${BK_NODES:-kwok}"
case "$nodes" in
  kwok | real) ;;
  *) echo "BK_NODES must be kwok (simulated nodes, the default) or real (a kubelet, containerd and runc), got '$nodes'" >&2; exit 2 ;;
esac

say() { printf '[cluster %4ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

# The control plane's keeper: scripts/cluster/keepalive.py starts kube-controller-manager and kube-scheduler again
# when they exit, as a real control plane's supervisor does (they exit when the API server pauses past their
# leader-election deadline).
keepalive_pid() {
  local pid
  pid="$(cat "$cache/run/$name-keepalive.pid" 2>/dev/null)" || return 1
  [ -e "/proc/$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "keepalive.py --cluster-dir $KWOK_WORKDIR/clusters/$name" && echo "$pid"
}

keepalive() {
  if keepalive_pid >/dev/null; then return; fi
  setsid python3 "$here/cluster/keepalive.py" --cluster-dir "$KWOK_WORKDIR/clusters/$name" \
    </dev/null >>"$cache/run/$name-keepalive.log" 2>&1 &
  echo $! >"$cache/run/$name-keepalive.pid"
}

unkeepalive() {
  local pid
  if pid="$(keepalive_pid)"; then
    kill "$pid"
    while [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$cache/run/$name-keepalive.pid"
}

running() {
  [ -f "$kubeconfig" ] && "$kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1
}

real_node() { [ -d "$cache/run/$name-node" ]; }

up() {
  "$here/cluster/build.sh" all
  [ "$nodes" = real ] && "$here/cluster/build.sh" node
  if running; then
    if [ "$nodes" = real ] && ! real_node; then
      echo "cluster $name runs with kwok nodes: run 'scripts/cluster.sh down' first, or choose another BK_CLUSTER_NAME" >&2
      exit 1
    fi
    say "cluster $name is already up"
    keepalive
    if real_node; then "$here/cluster/node/node.sh" up "$name" "$kubeconfig"; fi
    echo "$kubeconfig"
    return
  fi
  # A cluster that does not answer is removed first.
  [ -d "$KWOK_WORKDIR/clusters/$name" ] && down
  mkdir -p "$cache/run"
  local config="$cache/run/$name-kwokctl.yaml" ready=()
  [ -n "${BK_POD_READY_SECONDS:-}" ] && ready=(--ready-seconds "$BK_POD_READY_SECONDS")
  {
    # Every component listens on loopback only, and nothing is downloaded: all binaries are local.
    printf 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\noptions:\n'
    printf '  bindAddress: 127.0.0.1\n  kubectlBinary: %s\n  quietPull: true\n' "$kubectl"
    # A real kubelet is reached at its node's address, never by a hostname nothing resolves, and the API server
    # shows it the admin certificate (kwokctl's PKI, which the kubelet trusts), so `kubectl logs` and `exec` work.
    if [ "$nodes" = real ]; then
      local pki="$KWOK_WORKDIR/clusters/$name/pki"
      printf 'componentsPatches:\n- name: kube-apiserver\n  extraArgs:\n'
      printf '  - key: %s\n    value: "%s"\n' kubelet-preferred-address-types InternalIP \
        kubelet-client-certificate "$pki/admin.crt" kubelet-client-key "$pki/admin.key"
      # kwok would play the kubelet of every node, the real one too, and write its pods' statuses over the
      # kubelet's: it keeps to nodes marked as its own (none on this cluster).
      printf -- '- name: kwok-controller\n  extraArgs:\n'
      printf '  - key: %s\n    value: "%s"\n' manage-all-nodes false \
        manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake
    fi
    # The Stages that make the fake kubelets follow registry.yaml.
    python3 "$here/cluster/stages.py" "$here/cluster/registry.yaml" "${ready[@]}"
  } >"$config"
  say "starting $name (Kubernetes v$K8S_VERSION, $nodes nodes, etcd v$ETCD_VERSION)"
  KWOK_KUBE_VERSION="v$K8S_VERSION" "$kwokctl" create cluster --name "$name" --runtime binary \
    --kubeconfig "$cache/run/$name-merged.kubeconfig" \
    --kube-apiserver-binary "$bin/k8s-v$K8S_VERSION/kube-apiserver" \
    --kube-controller-manager-binary "$bin/k8s-v$K8S_VERSION/kube-controller-manager" \
    --kube-scheduler-binary "$bin/k8s-v$K8S_VERSION/kube-scheduler" \
    --kwok-controller-binary "$bin/kwok-v$KWOK_VERSION/kwok" \
    --etcd-binary "$bin/etcd-v$ETCD_VERSION/etcd" \
    --kube-audit-policy "$here/cluster/audit-policy.yaml" \
    --config "$config" --wait 120s --quiet-pull >&2
  local k=("$kubectl" --kubeconfig "$kubeconfig")
  if [ "$nodes" = kwok ]; then
    say "adding nodes"
    for node in 1 2 3; do
      sed "s/NODE_NAME/kwok-node-$node/" "$here/cluster/node.yaml"
    done | "${k[@]}" apply -f - >&2
    "${k[@]}" wait --for=condition=Ready node --all --timeout=60s >&2
  fi
  say "installing the BookkeeperCluster CRD"
  "${k[@]}" apply --server-side -f "$repo/roles/deploy/files/bookkeepercluster-crd.yaml" >&2
  "${k[@]}" wait --for=condition=Established crd/bookkeeperclusters.bookkeeper.pravega.io --timeout=60s >&2
  keepalive
  if [ "$nodes" = real ]; then
    mkdir -p "$cache/run/$name-node"
    "$here/cluster/node/node.sh" up "$name" "$kubeconfig"
  fi
  say "cluster $name is up; use: export KUBECONFIG=$kubeconfig"
  echo "$kubeconfig"
}

down() {
  local dir="$KWOK_WORKDIR/clusters/$name" pids=() ports=() pid port
  unkeepalive
  "$here/cluster/node/node.sh" down "$name"
  if [ -d "$dir" ]; then
    # Remember what the cluster runs and where it listens, to check that nothing stays.
    for pid in "$dir"/pids/*.pid; do [ -f "$pid" ] && pids+=("$(tr -dc 0-9 <"$pid")"); done
    for port in $(awk '/^ *(etcdPeerPort|etcdPort|kubeApiserverPort|kubeControllerManagerPort|kubeSchedulerPort|kwokControllerPort): *[0-9]+$/ {print $2}' "$dir/kwok.yaml" 2>/dev/null); do
      ports+=("$port")
    done
  fi
  if [ -x "$kwokctl" ] && [ -d "$dir" ]; then
    "$kwokctl" delete cluster --name "$name" >&2 || true
  fi
  rm -rf "${dir:?}" "$cache/run/$name"-*
  for pid in "${pids[@]}"; do
    # Only processes still running one of this cluster's binaries (pids are reused).
    if [ -e "/proc/$pid" ] && grep -q "clusters/$name/" "/proc/$pid/cmdline" 2>/dev/null; then
      say "stopping leftover process $pid"
      kill "$pid" 2>/dev/null || true
      sleep 1
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  local deadline=$((SECONDS + 15)) busy
  while :; do
    busy=""
    for port in "${ports[@]}"; do
      if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then busy="$busy $port"; fi
    done
    [ -z "$busy" ] && break
    if [ $SECONDS -ge $deadline ]; then
      say "ports still listening after down:$busy"
      return 1
    fi
    sleep 0.2
  done
  say "cluster $name is down (no process left, ports ${ports[*]:-none} closed)"
}

case "${1:-}" in
  build) "$here/cluster/build.sh" all ;;
  up) up ;;
  down) down ;;
  status) if running; then echo "up: $kubeconfig"; else echo "down"; exit 1; fi ;;
  kubectl-path) echo "$kubectl" ;;
  zookeeper)
    real_node || { echo "no ZooKeeper runs on $name: real bookies and their ZooKeeper run on a BK_NODES=real cluster" >&2; exit 1; }
    "$kubectl" --kubeconfig "$kubeconfig" get pod zookeeper -n bookkeeper-ops-system -o 'jsonpath={.status.podIP}:2181{"\n"}' ;;
  bookkeeper-lib)
    # shellcheck source=/dev/null
    source "$here/cluster/bookkeeper/versions.env"
    case " $BOOKKEEPER_RELEASES " in
      *" ${2:-} "*) echo "$bin/bookkeeper-$2/lib" ;;
      *) echo "bookkeeper-lib RELEASE: RELEASE must be one of: $BOOKKEEPER_RELEASES" >&2; exit 2 ;;
    esac ;;
  helm-path) echo "$bin/helm-v$HELM_VERSION/helm" ;;
  kubectl) shift; exec "$kubectl" --kubeconfig "${BK_KUBECONFIG:-$kubeconfig}" "$@" ;;
  *) echo "usage: scripts/cluster.sh build|up|down|status|kubectl ARGS|kubectl-path|helm-path|zookeeper|bookkeeper-lib RELEASE" >&2; exit 2 ;;
esac
