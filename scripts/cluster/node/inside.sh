#!/usr/bin/env bash
# The node's own mount namespace (started by node.sh as `unshare --mount --propagation private inside.sh ...`):
# containerd, its shims, runc, the CNI plugins and the kubelet live here, so that what they write to fixed
# host paths lands in the node's folder and no host setting changes.
#
#   inside.sh NODE-DIR BIN-DIR K8S-VERSION CONTAINERD-VERSION NODE-NAME NODE-IP
set -euo pipefail
node="$1" bin="$2" k8s="$3" containerd="$4" node_name="$5" node_ip="$6"

# Tunables the kubelet and the bridge plugin write: plain files here, holding the host's values.
for key in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys \
  kernel/keys/root_maxbytes net/ipv4/ip_forward; do
  copy="$node/fakesys/${key//\//_}"
  cat "/proc/sys/$key" >"$copy"
  mount --bind "$copy" "/proc/sys/$key"
done
# Paths written whatever the configuration says: shim sockets under /run, pod logs under /var/log,
# the CNI cache under /var/lib.
mount --bind "$node/run" /run
mount --bind "$node/varlog" /var/log
mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$node/varlib-upper,workdir=$node/varlib-work" /var/lib

"$bin/containerd-v$containerd/containerd" --config "$node/conf/containerd.toml" >>"$node/logs/containerd.log" 2>&1 &
for _ in $(seq 1 100); do
  [ -S "$node/containerd.sock" ] && break
  sleep 0.1
done
"$bin/kubelet-v$k8s/kubelet" --config="$node/conf/kubelet.yaml" --kubeconfig="$node/conf/kubeconfig.yaml" \
  --root-dir="$node/kubelet" --cert-dir="$node/kubelet/pki" --hostname-override="$node_name" \
  --node-ip="$node_ip" --v=1 >>"$node/logs/kubelet.log" 2>&1 &
# Either exiting ends the node: node.sh sees it gone, and down removes the rest.
trap 'kill $(jobs -p) 2>/dev/null' TERM INT
wait -n
kill $(jobs -p) 2>/dev/null || true
wait
