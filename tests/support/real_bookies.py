"""What the tests and benchmarks on the real node give a cluster of real bookies (BK_NODES=real)."""

# Each bookie's journal and ledgers on claims of its own, kept when the rollout replaces its pod.
CLAIM = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
STORAGE = {"journalVolumeClaimTemplate": CLAIM, "ledgerVolumeClaimTemplate": CLAIM}
# Small heaps: four bookies, ZooKeeper and the writer beside the control plane on 2 cores.
SMALL_JVM = {
    "memoryOpts": ["-Xms32m", "-Xmx160m", "-XX:MaxDirectMemorySize=128m"],
    "gcOpts": ["-XX:+UseSerialGC"],
    "gcLoggingOpts": [],
    "extraOpts": ["-XX:TieredStopAtLevel=1", "-Xss512k"],
}
# The Pravega operator's readiness probe: a BookKeeper shell JVM every 10 s, after 20 s.
PRAVEGA_PROBE = {
    "exec": {"command": ["/bin/sh", "-c", "/opt/bookkeeper/bin/bookkeeper shell bookiesanity"]},
    "initialDelaySeconds": 20,
    "periodSeconds": 10,
    "timeoutSeconds": 5,
}
