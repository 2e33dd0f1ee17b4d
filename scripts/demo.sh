#!/usr/bin/env bash
# The demo: a BookKeeper cluster on the built-in local control plane, an upgrade to
# a version whose image does not exist, the failure as `kubectl describe bk` shows
# it, the rollback to the last stable version, and a timeline of what happened.
# Run it with `make demo`, which sets up the virtual environment first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
# The virtual environment and the collection's place on the collections path, as `make demo` sets them up.
export PATH="$repo/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$repo/build/links" ANSIBLE_NOCOLOR=1
mkdir -p build/links/ansible_collections/bookkeeper
ln -sfn "$repo" build/links/ansible_collections/bookkeeper/ops
namespace="${BK_DEMO_NAMESPACE:-bookkeeper-demo}"
cluster=bookkeeper
stable=0.13.0
broken=0.14.0-2252.b6f6512

step() { printf '\n=== %s\n' "$*"; }

step "Starting the local Kubernetes control plane (the first run builds it: about 10 minutes)"
export KUBECONFIG
KUBECONFIG="$(scripts/cluster.sh up)"
kubectl() { scripts/cluster.sh kubectl "$@"; }
kubectl get nodes
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl delete bk "$cluster" -n "$namespace" --ignore-not-found --wait=true >/dev/null

python scripts/demo_watch.py "$namespace" "$cluster" &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
playbook() { ansible-playbook -i localhost, "playbooks/$1.yml" -e cluster="$cluster" -e cluster_namespace="$namespace" "${@:2}"; }

step "Deploying 3 bookies at version $stable"
playbook deploy -e version="$stable"

step "Upgrading to $broken, a version whose image does not exist"
if playbook upgrade -e version="$broken"; then
  echo "the upgrade was expected to fail" >&2
  exit 1
fi

step "The failure, as kubectl describe bk $cluster shows it"
kubectl describe bk "$cluster" -n "$namespace" | sed -n '/^Status:/,$p'

step "Rolling back to the last stable version, $stable"
playbook rollback

step "The cluster now"
playbook status
kubectl get bk,pods -n "$namespace"

kill -TERM $watcher
wait $watcher || true
trap - EXIT

step "Explore and clean up"
cat <<TEXT
The cluster is still running. Explore it with:
  export KUBECONFIG=$KUBECONFIG
  scripts/cluster.sh kubectl describe bk $cluster -n $namespace
  scripts/cluster.sh kubectl get pods -n $namespace -o wide
  scripts/cluster.sh kubectl get events -n $namespace
Tear it down with:
  make cluster-down
The same story on real BookKeeper bookies on a real node (4.16.6 to 4.17.2, with a writer counting every entry): make demo-real
TEXT
