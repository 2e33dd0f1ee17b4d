#!/bin/sh
# Launcher of the ZooKeeper image that scripts/cluster/images.py builds (/opt/zookeeper/bin/zookeeper):
# one standalone server for the local cluster's bookies, with a small heap, answering the four-letter
# words srvr, ruok and mntr on port 2181 of every address. Data lives in /data (a volume, or the
# container's own layer).
set -eu

conf=/opt/zookeeper/conf/zoo.cfg
mkdir -p /data /opt/zookeeper/conf
cat >"$conf" <<'CFG'
tickTime=1000
dataDir=/data
clientPort=2181
clientPortAddress=0.0.0.0
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,mntr
CFG
exec /opt/java/bin/java -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.sasl.client=false \
  -cp '/opt/zookeeper/lib/*' org.apache.zookeeper.server.ZooKeeperServerMain "$conf"
