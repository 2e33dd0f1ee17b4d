#!/usr/bin/env bash
# The demo's story on real bookies on a real node (`make demo-real`): four BookKeeper 4.16.6 bookies run by
# a kubelet, containerd and runc, a writer that counts every entry, an upgrade to an image that does not
# exist, its rollback, then the upgrade to BookKeeper 4.17.2; the writer then reads everything back and
# says what was lost.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
export PATH="$repo/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$repo/build/links" ANSIBLE_NOCOLOR=1
export BK_NODES=real BK_CLUSTER_NAME="${BK_CLUSTER_NAME:-bookkeeper-ops-real}"
mkdir -p build/links/ansible_collections/bookkeeper build/writer
ln -sfn "$repo" build/links/ansible_collections/bookkeeper/ops
namespace="${BK_DEMO_NAMESPACE:-bookkeeper-demo-real}"
cluster=bookkeeper
stable=0.16.0-real    # BookKeeper 4.16.6 (scripts/cluster/registry.yaml)
broken=0.17.0-real-missing
target=0.17.0-real    # BookKeeper 4.17.2

step() { printf '\n=== %s\n' "$*"; }

step "Starting the local cluster and its real node, building its images (first run: about 15 minutes)"
export KUBECONFIG
KUBECONFIG="$(scripts/cluster.sh up)"
kubectl() { scripts/cluster.sh kubectl "$@"; }
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl delete bk "$cluster" -n "$namespace" --ignore-not-found --wait=true >/dev/null
playbook() { ansible-playbook -i localhost, "playbooks/$1.yml" -e cluster="$cluster" -e cluster_namespace="$namespace" "${@:2}"; }
# Each bookie keeps its journal and ledgers on claims of its own; small heaps, to fit beside the control plane.
data_plane='{"storage": {"journalVolumeClaimTemplate": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
  "ledgerVolumeClaimTemplate": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
  "jvm_options": {"memoryOpts": ["-Xms32m", "-Xmx160m", "-XX:MaxDirectMemorySize=128m"], "gcOpts": ["-XX:+UseSerialGC"],
  "gcLoggingOpts": [], "extraOpts": ["-XX:TieredStopAtLevel=1", "-Xss512k"]}}'

step "Deploying 4 real bookies at $stable"
playbook deploy -e version="$stable" -e replicas=4 -e zookeeper_uri="$(scripts/cluster.sh zookeeper)" -e "$data_plane"
kubectl get pods -n "$namespace" -o wide

step "Starting the writer: ensemble 3, write quorum 2, ack quorum 2"
lib="$(scripts/cluster.sh bookkeeper-lib 4.17.2)"
javac -nowarn -cp "$lib/*" -d build/writer scripts/cluster/bookkeeper/Writer.java
mkfifo "build/writer/stop.$$"
java -Xmx256m -Dzookeeper.sasl.client=false -cp "$lib/*:build/writer" Writer --zookeeper "$(scripts/cluster.sh zookeeper)" \
  --root "/$namespace-$cluster" --report build/writer/report.json <"build/writer/stop.$$" >build/writer/writer.log 2>&1 &
writer=$!
exec 3>"build/writer/stop.$$"
rm "build/writer/stop.$$"
trap 'kill $writer 2>/dev/null || true' EXIT
until grep -q "WRITER acked" build/writer/writer.log; do sleep 1; done

step "Upgrading to $broken, a version whose image does not exist"
if playbook upgrade -e version="$broken"; then
  echo "the upgrade was expected to fail" >&2
  exit 1
fi

step "Rolling back to the last stable version, $stable"
playbook rollback

step "Upgrading to $target (BookKeeper 4.17.2)"
playbook upgrade -e version="$target"
kubectl get pods -n "$namespace" -o wide

step "Stopping the writer; it reads every acknowledged entry back"
echo stop >&3
exec 3>&-
wait $writer
trap - EXIT
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r.pop("acked_per_second"); print(json.dumps(r, indent=1))' \
  build/writer/report.json
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["lost"] != 0)' build/writer/report.json

step "Explore and clean up"
cat <<TEXT
Each bookie is a container of the real node (containerd, runc), at its pod's IP:
  export KUBECONFIG=$KUBECONFIG BK_NODES=real BK_CLUSTER_NAME=$BK_CLUSTER_NAME
  scripts/cluster.sh kubectl get nodes -o wide
  scripts/cluster.sh kubectl get pods,pvc -n $namespace -o wide
  scripts/cluster.sh kubectl get --raw /api/v1/namespaces/$namespace/pods/$cluster-bookie-0:8000/proxy/api/v1/bookie/state
Tear it down with:
  BK_CLUSTER_NAME=$BK_CLUSTER_NAME scripts/cluster.sh down
TEXT
