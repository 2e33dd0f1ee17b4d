#!/bin/sh
# Launcher of the bookie images that scripts/cluster/images.py builds; it is /opt/bookkeeper/bin/bookkeeper.
#
#   bookkeeper bookie          the image's default command: writes the bookie's configuration, makes sure
#                              the ledgers root exists in ZooKeeper, then becomes the bookie's JVM
#   bookkeeper shell ARGS...   BookieShell with the running bookie's configuration, in a small quick JVM
#                              (the Pravega operator's readiness probe is `bookkeeper shell bookiesanity`)
#
# The configuration comes, later lines winning, from small-store defaults, the pod's BK_<key> variables
# (the operator's ConfigMap), the image's own options (conf/image.conf), then the keys this launcher owns:
# the bookie's identity is the pod's hostname, which stays while the pod's IP changes at each replacement.
# Pods get no DNS answers, so nothing here resolves any name but the pod's own (in /etc/hosts).
set -euf

home=/opt/bookkeeper
conf=$home/conf/bk_server.conf
java=/opt/java/bin/java
quick_jvm="-Xms16m -Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"

# Small stores, so that a bookie's memory stays small and a replaced bookie replays little.
defaults() {
  cat <<'KEYS'
skipListSizeLimit=8388608
journalPreAllocSizeMB=4
journalWriteBufferSizeKB=64
entryLogSizeLimit=67108864
zkTimeout=10000
KEYS
}

# The pod's BK_<key>=value variables as key=value.
from_environment() {
  env | sed -n 's/^BK_\([A-Za-z0-9_.-]*=\)/\1/p'
}

# The pod's IP: the kubelet's /etc/hosts line for our hostname, else the first global IPv4 address.
pod_ip() {
  ip=$(awk -v name="$(hostname)" '$1 !~ /^127\./ && $1 !~ /:/ {
      for (i = 2; i <= NF; i++) if ($i == name) { print $1; exit } }' /etc/hosts 2>/dev/null || true)
  if [ -z "$ip" ]; then
    ip=$(ip -o -4 addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  fi
  [ -n "$ip" ] || { echo "bookkeeper: no address for $(hostname)" >&2; exit 1; }
  echo "$ip"
}

owned() {
  cat <<KEYS
metadataServiceUri=zk+null://${ZK_URL}${BK_zkLedgersRootPath:-/ledgers}
bookieId=$(hostname)
advertisedAddress=$(pod_ip)
bookiePort=3181
journalDirectories=/bk/journal
ledgerDirectories=/bk/ledgers
httpServerEnabled=true
httpServerPort=8000
httpServerClass=org.apache.bookkeeper.http.vertx.VertxHttpServer
KEYS
}

# One line per key, the last value of each winning (repeated keys would become lists in BookKeeper);
# the ZooKeeper location lives in metadataServiceUri alone.
merge() {
  awk '{ key = substr($0, 1, index($0, "=") - 1) }
       key == "" || key == "zkServers" || key == "zkLedgersRootPath" { next }
       !(key in value) { order[n++] = key }
       { value[key] = $0 }
       END { for (i = 0; i < n; i++) print value[order[i]] }'
}

write_conf() {
  : "${ZK_URL:?ZK_URL is not set}"
  { defaults; from_environment; cat "$home/conf/image.conf"; owned; } | merge >"$conf.new"
  mv "$conf.new" "$conf"
  mkdir -p /bk/journal /bk/ledgers
}

shell() {
  [ -f "$conf" ] || { echo "bookkeeper: no $conf yet (the bookie has not started)" >&2; return 1; }
  # $quick_jvm is a list of options: split on purpose (globbing is off).
  # shellcheck disable=SC2086
  "$java" $quick_jvm -Dzookeeper.sasl.client=false -cp "$home/lib/*" \
    org.apache.bookkeeper.bookie.BookieShell -conf "$conf" "$@"
}

# Several bookies start at once: a root that another one made meanwhile is success.
ensure_ledgers_root() {
  if out=$(shell initnewcluster 2>&1); then
    return 0
  fi
  case "$out" in
    *"already exists"* | *NodeExists*) return 0 ;;
  esac
  printf '%s\n' "$out" >&2
  echo "bookkeeper: initnewcluster failed" >&2
  return 1
}

bookie() {
  write_conf
  ensure_ledgers_root
  # The BOOKIE_* variables are lists of JVM options: split on purpose (globbing is off). exec: SIGTERM
  # from the kubelet reaches the JVM, PID 1 of the container.
  # shellcheck disable=SC2086
  exec "$java" ${BOOKIE_MEM_OPTS:-} ${BOOKIE_GC_OPTS:-} ${BOOKIE_GC_LOGGING_OPTS:-} ${BOOKIE_EXTRA_OPTS:-} \
    -Dzookeeper.sasl.client=false -Dorg.apache.logging.log4j.level=INFO -cp "$home/lib/*" \
    org.apache.bookkeeper.server.Main --conf "$conf"
}

case "${1:-}" in
  bookie) bookie ;;
  shell)
    shift
    shell "$@"
    ;;
  *)
    echo "usage: bookkeeper bookie | bookkeeper shell ARGS..." >&2
    exit 2
    ;;
esac
