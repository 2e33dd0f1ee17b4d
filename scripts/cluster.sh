#!/usr/bin/env bash
# The local Kubernetes control plane for the tests and the demo: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler built from their Go
# modules, with kwok simulating three nodes and their kubelets. Loopback only.
#
#   scripts/cluster.sh build    build the binaries when missing (cached, see cluster/README.md)
#   scripts/cluster.sh up       start the cluster; the last line printed is the KUBECONFIG path
#   scripts/cluster.sh down     stop it and remove its state
#   scripts/cluster.sh status   say whether it runs
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

say() { printf '[cluster %4ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

running() {
  [ -f "$kubeconfig" ] && "$kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1
}

up() {
  "$here/cluster/build.sh" all
  if running; then
    say "cluster $name is already up"
    echo "$kubeconfig"
    return
  fi
  "$kwokctl" delete cluster --name "$name" >/dev/null 2>&1 || true
  mkdir -p "$cache/run"
  local stages="$cache/run/$name-stages.yaml" ready_ms
  ready_ms="$(python3 -c "print(int(float('${BK_POD_READY_SECONDS:-1}') * 1000))")"
  {
    # Every component listens on loopback only.
    printf 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\noptions:\n  bindAddress: 127.0.0.1\n'
    "$here/cluster/stages.sh" "$here/cluster/registry.txt" "$ready_ms"
  } >"$stages"
  say "starting $name (Kubernetes v$K8S_VERSION, kwok v$KWOK_VERSION, etcd v$ETCD_VERSION)"
  KWOK_KUBE_VERSION="v$K8S_VERSION" "$kwokctl" create cluster --name "$name" --runtime binary \
    --kubeconfig "$cache/run/$name-merged.kubeconfig" \
    --kube-apiserver-binary "$bin/k8s-v$K8S_VERSION/kube-apiserver" \
    --kube-controller-manager-binary "$bin/k8s-v$K8S_VERSION/kube-controller-manager" \
    --kube-scheduler-binary "$bin/k8s-v$K8S_VERSION/kube-scheduler" \
    --kwok-controller-binary "$bin/kwok-v$KWOK_VERSION/kwok" \
    --etcd-binary "$bin/etcd-v$ETCD_VERSION/etcd" \
    --kube-audit-policy "$here/cluster/audit-policy.yaml" \
    --config "$stages" --wait 120s --quiet-pull >&2
  local k=("$kubectl" --kubeconfig "$kubeconfig")
  say "adding nodes"
  for node in 1 2 3; do
    sed "s/NODE_NAME/kwok-node-$node/" "$here/cluster/node.yaml"
  done | "${k[@]}" apply -f - >&2
  "${k[@]}" wait --for=condition=Ready node --all --timeout=60s >&2
  say "installing the BookkeeperCluster CRD"
  "${k[@]}" apply --server-side -f "$repo/roles/deploy/files/bookkeepercluster-crd.yaml" >&2
  "${k[@]}" wait --for=condition=Established crd/bookkeeperclusters.bookkeeper.pravega.io --timeout=60s >&2
  say "cluster $name is up; use: export KUBECONFIG=$kubeconfig"
  echo "$kubeconfig"
}

down() {
  if [ -x "$kwokctl" ]; then
    "$kwokctl" delete cluster --name "$name" >&2 || true
  fi
  rm -rf "${KWOK_WORKDIR:?}/clusters/$name" "$cache/run/$name"-*
  # Nothing of the cluster may stay behind.
  local left
  left="$(pgrep -f "$KWOK_WORKDIR/clusters/$name" || true)"
  if [ -n "$left" ]; then
    say "stopping leftover processes: $left"
    kill $left 2>/dev/null || true
    sleep 1
    kill -9 $left 2>/dev/null || true
  fi
  say "cluster $name is down"
}

case "${1:-}" in
  build) "$here/cluster/build.sh" all ;;
  up) up ;;
  down) down ;;
  status) if running; then echo "up: $kubeconfig"; else echo "down"; exit 1; fi ;;
  kubectl) shift; exec "$kubectl" --kubeconfig "$kubeconfig" "$@" ;;
  *) echo "usage: scripts/cluster.sh build|up|down|status|kubectl ARGS" >&2; exit 2 ;;
esac
