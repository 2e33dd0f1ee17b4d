#!/usr/bin/env python3
"""The kubelet of real bookies: runs a BookKeeper bookie for each pod whose image registry.yaml marks
``behaviour: bookie``, for as long as the pod lives.

Usage: supervisor.py --name CLUSTER --kubeconfig PATH --registry registry.yaml --cache BIN-DIR --state DIR
                     --zookeeper VERSION

kwok leaves such pods alone (stages.py selects none of them); this process plays their kubelet:

* network: one bridge per local cluster on a /24 of 10.245.0.0/16, one network namespace per pod name with a
  veth on the bridge; the pod's ``status.podIP`` is that namespace's address, so the API server's pod proxy
  reaches the bookie's admin endpoint. ZooKeeper (one per local cluster, started with the first bookie) has a
  namespace of its own at .2. Loopback is never used for the data plane: a namespace has its own.
* storage: a data directory per namespace/pod name under STATE/data, kept when the pod goes (a volume).
* status: Pending/ContainerCreating, then Running; Ready only while the bookie's ``/api/v1/bookie/state`` says
  running and writable; an exit shows ``lastState.terminated`` and ``CrashLoopBackOff``, and the container is
  started again after a back-off doubling from registry.yaml's crashBackoffSeconds up to
  crashBackoffMaxSeconds, ``restartCount`` counting the restarts.
* deletion: SIGTERM, SIGKILL after the pod's grace period, then the pod is removed (grace 0, bound to its uid).

The bookie's configuration: the supervisor's own keys (metadata service, address, directories, admin server),
then ``BK_<key>`` entries of the ConfigMaps the container reads through envFrom, then the image's
``options`` in registry.yaml. Each BookkeeperCluster (the pod's ``bookkeeper_cluster`` label, or the
``bookkeeper-ops.local/bookkeeper-cluster`` annotation for a bookie outside the StatefulSet) gets its own
ledgers root ``/<namespace>-<cluster>`` in the one ZooKeeper. JVM heaps are small (see JAVA_OPTS).

STATE holds what `scripts/cluster.sh` and the tests read: ``zookeeper`` (host:port, once it runs),
``subnet`` and ``logs/``. SIGTERM stops every process and removes every namespace, veth and the bridge.
"""

import argparse
import hashlib
import json
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

BEHAVIOUR = "bookie"
CLUSTER_ANNOTATION = "bookkeeper-ops.local/bookkeeper-cluster"
ADMIN_PORT = 8000
BOOKIE_PORT = 3181
ZK_PORT = 2181
# Small heaps: ZooKeeper and five bookies fit in about 1.5 GB beside the control plane.
JAVA_OPTS = [
    "-Xms32m",
    "-Xmx160m",
    "-XX:MaxDirectMemorySize=128m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
    "-Dzookeeper.sasl.client=false",
]
# Keys the supervisor owns: a ConfigMap or the registry cannot move a bookie off its namespace or volume.
OWN_KEYS = {
    "metadataServiceUri",
    "zkServers",
    "zkLedgersRootPath",
    "bookiePort",
    "advertisedAddress",
    "useHostNameAsBookieID",
    "journalDirectories",
    "journalDirectory",
    "ledgerDirectories",
    "httpServerEnabled",
    "httpServerPort",
    "httpServerClass",
}
# Small stores, so that memory stays small and a replaced bookie replays little.
BOOKIE_DEFAULTS = {
    "skipListSizeLimit": "8388608",
    "journalPreAllocSizeMB": "4",
    "journalWriteBufferSizeKB": "64",
    "entryLogSizeLimit": "67108864",
    "zkTimeout": "10000",
}


def normalise(image):
    for prefix in ("docker.io/library/", "docker.io/"):
        if image.startswith(prefix):
            return image[len(prefix) :]
    return image


def say(message):
    print("[supervisor %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def run(*argv, check=True):
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv), done.stderr.strip()))
    return done


class Api:
    """The few API server calls a kubelet makes, with the admin client certificate of the kubeconfig."""

    def __init__(self, kubeconfig):
        config = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        self.server = cluster["server"].rstrip("/")
        self.context = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.context.load_cert_chain(user["client-certificate"], user["client-key"])

    def request(self, method, path, body=None, content_type="application/json", timeout=30):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        return urllib.request.urlopen(request, context=self.context, timeout=timeout)

    def json(self, method, path, body=None, content_type="application/json"):
        with self.request(method, path, body, content_type) as response:
            return json.loads(response.read())

    def watch_pods(self, resource_version):
        query = urllib.parse.urlencode(
            {"watch": "1", "resourceVersion": resource_version, "allowWatchBookmarks": "true", "timeoutSeconds": 300}
        )
        with self.request("GET", "/api/v1/pods?" + query, timeout=330) as response:
            for line in response:
                yield json.loads(line)


class Network:
    """The bridge of this cluster and one namespace per slot (an address on the bridge's /24)."""

    def __init__(self, name, state):
        self.name, self.state = name, state
        self.subnet = self._choose_subnet()
        self.bridge = "bkr%d" % self.subnet
        self.lock = threading.Lock()

    def _choose_subnet(self):
        saved = self.state / "subnet"
        if saved.exists():
            return int(saved.read_text())
        used = run("ip", "-o", "-4", "addr").stdout
        # Subnets other local clusters chose but may not use yet (their bridge comes with their first bookie).
        for other in self.state.parent.glob("*-real/subnet"):
            used += " 10.245.%s. " % other.read_text().strip()
        start = int(hashlib.sha256(self.name.encode()).hexdigest(), 16) % 250
        for step in range(250):
            subnet = (start + step) % 250
            if " 10.245.%d." % subnet not in used and not (pathlib.Path("/sys/class/net/bkr%d" % subnet)).exists():
                saved.write_text(str(subnet))
                return subnet
        raise SystemExit("no free /24 left in 10.245.0.0/16")

    def address(self, slot):
        return "10.245.%d.%d" % (self.subnet, slot)

    def namespace(self, slot):
        return "bk-%s-%d" % (self.name, slot)

    def up(self):
        if not pathlib.Path("/sys/class/net/" + self.bridge).exists():
            run("ip", "link", "add", self.bridge, "type", "bridge")
            run("ip", "addr", "add", self.address(1) + "/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def add(self, slot):
        """Make the namespace of ``slot`` (again): returns its name."""
        with self.lock:
            ns, veth = self.namespace(slot), "%sv%d" % (self.bridge, slot)
            self.remove(slot)
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "link", "set", veth, "master", self.bridge, "up")
            run("ip", "-n", ns, "addr", "add", self.address(slot) + "/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            return ns

    def remove(self, slot):
        ns = self.namespace(slot)
        if pathlib.Path("/run/netns/" + ns).exists():
            run("ip", "netns", "del", ns, check=False)
        # The veth goes with the namespace once no process is left in it; remove it now in any case.
        veth = "%sv%d" % (self.bridge, slot)
        if pathlib.Path("/sys/class/net/" + veth).exists():
            run("ip", "link", "del", veth, check=False)

    def down(self, slots):
        for slot in slots:
            self.remove(slot)
        if pathlib.Path("/sys/class/net/" + self.bridge).exists():
            run("ip", "link", "del", self.bridge, check=False)


def java(classpath, main, args, hosts, log, ns=None):
    """Start a JVM with the small heaps, in namespace ``ns`` when given, its output appended to ``log``."""
    argv = ["java", *JAVA_OPTS, "-Djdk.net.hosts.file=%s" % hosts, "-cp", classpath + "/*", main, *args]
    if ns:
        argv = ["ip", "netns", "exec", ns, *argv]
    with open(log, "ab") as out:
        # A session of its own: a signal to the supervisor does not reach the JVM, which it stops itself.
        return subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )


def stop(process, grace):
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=max(grace, 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Supervisor:
    def __init__(self, args):
        self.args = args
        self.state = pathlib.Path(args.state)
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        self.hosts = self.state / "hosts"
        # The JVMs resolve names from this file only: no DNS lookups (none answers inside a namespace).
        self.hosts.write_text("127.0.0.1 localhost %s\n" % socket.gethostname())
        registry = yaml.safe_load(pathlib.Path(args.registry).read_text()) or {}
        self.images = {
            image: spec
            for image, spec in (registry.get("images") or {}).items()
            if (spec or {}).get("behaviour") == BEHAVIOUR
        }
        self.backoff = float(registry.get("crashBackoffSeconds", 1)), float(registry.get("crashBackoffMaxSeconds", 8))
        self.cache = pathlib.Path(args.cache)
        self.api = Api(args.kubeconfig)
        self.net = Network(args.name, self.state)
        self.slots = {}  # namespace/pod name -> slot: a pod name keeps its address (its bookie id) and volume
        self.bookies = {}  # pod uid -> Bookie
        self.finished = set()  # uids of pods whose bookie has stopped: late events of theirs start nothing
        self.initialised = set()
        self.zookeeper = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    # -- ZooKeeper and the ledgers roots
    def ensure_zookeeper(self):
        with self.lock:
            if self.zookeeper and self.zookeeper.poll() is None:
                return "%s:%d" % (self.net.address(2), ZK_PORT)
            self.net.up()
            ns = self.net.add(2)
            data = self.state / "zookeeper-data"
            data.mkdir(exist_ok=True)
            config = self.state / "zoo.cfg"
            config.write_text(
                "dataDir=%s\nclientPort=%d\nclientPortAddress=%s\nadmin.enableServer=false\ntickTime=1000\n"
                "maxClientCnxns=0\n" % (data, ZK_PORT, self.net.address(2))
            )
            lib = self.cache / ("zookeeper-%s" % self.args.zookeeper) / "lib"
            self.zookeeper = java(
                str(lib),
                "org.apache.zookeeper.server.ZooKeeperServerMain",
                [str(config)],
                self.hosts,
                self.state / "logs" / "zookeeper.log",
                ns,
            )
            address = "%s:%d" % (self.net.address(2), ZK_PORT)
            deadline = time.monotonic() + 60
            while not self._answers(self.net.address(2), ZK_PORT):
                if self.zookeeper.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("ZooKeeper did not start: see %s" % (self.state / "logs" / "zookeeper.log"))
                time.sleep(0.2)
            (self.state / "zookeeper").write_text(address + "\n")
            say("ZooKeeper serves on %s" % address)
            return address

    @staticmethod
    def _answers(host, port):
        try:
            with socket.create_connection((host, port), timeout=1) as sock:
                sock.sendall(b"srvr")
                return sock.recv(64).startswith(b"Zookeeper")
        except OSError:
            return False

    def ensure_ledgers_root(self, root, lib, conf):
        with self.lock:
            if root in self.initialised:
                return
            log = self.state / "logs" / ("init%s.log" % root.replace("/", "_"))
            process = java(
                str(lib),
                "org.apache.bookkeeper.bookie.BookieShell",
                ["-conf", str(conf), "initnewcluster"],
                self.hosts,
                log,
            )
            code = process.wait()
            if code != 0 and "already exists" not in log.read_text(errors="replace"):
                raise RuntimeError("initnewcluster %s failed (exit %d): see %s" % (root, code, log))
            self.initialised.add(root)

    # -- the pods
    def slot(self, key):
        with self.lock:
            if key not in self.slots:
                taken = set(self.slots.values())
                self.slots[key] = next(s for s in range(10, 255) if s not in taken)
            return self.slots[key]

    def release(self, pod):
        image = normalise(pod["spec"]["containers"][0]["image"]) if pod["spec"].get("containers") else ""
        spec = self.images.get(image)
        return spec if spec and len(pod["spec"]["containers"]) == 1 and not pod["spec"].get("initContainers") else None

    def handle(self, event):
        pod = event["object"]
        if event["type"] == "BOOKMARK" or pod.get("kind") != "Pod":
            return
        uid = pod["metadata"]["uid"]
        bookie = self.bookies.get(uid)
        if event["type"] == "DELETED":
            if bookie:
                bookie.gone.set()
            return
        if bookie is None:
            spec = self.release(pod)
            if spec is None or not pod["spec"].get("nodeName") or uid in self.finished:
                return
            if pod["metadata"].get("deletionTimestamp"):
                self.delete(pod)  # no process runs for it (the supervisor started again): nothing to wait for
                return
            bookie = Bookie(self, pod, spec)
            self.bookies[uid] = bookie
            bookie.thread.start()
        bookie.pod = pod

    def delete(self, pod):
        """Remove the pod, as a kubelet does once its containers are gone: that very pod (its uid), at once."""
        meta = pod["metadata"]
        body = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": meta["uid"]},
        }
        try:
            self.api.json("DELETE", "/api/v1/namespaces/%s/pods/%s" % (meta["namespace"], meta["name"]), body)
        except urllib.error.HTTPError as error:
            if error.code not in (404, 409):
                say("%s/%s: pod not removed: HTTP %s" % (meta["namespace"], meta["name"], error.code))

    def watch(self):
        listed = self.api.json("GET", "/api/v1/pods")
        for pod in listed["items"]:
            self.handle({"type": "ADDED", "object": dict(pod, kind="Pod")})
        version = listed["metadata"]["resourceVersion"]
        while not self.stopping.is_set():
            try:
                for event in self.api.watch_pods(version):
                    if event["type"] == "ERROR":
                        return  # resourceVersion too old: list again
                    version = event["object"]["metadata"].get("resourceVersion", version)
                    self.handle(event)
                    if self.stopping.is_set():
                        return
            except (OSError, ValueError, urllib.error.URLError) as error:
                if self.stopping.is_set():
                    return
                say("watch interrupted (%s); watching again" % error)
                time.sleep(1)

    def main(self):
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        threading.Thread(target=self._watch_forever, daemon=True).start()
        say("supervising pods of images %s" % ", ".join(sorted(self.images)))
        self.stopping.wait()
        self.shutdown()

    def _watch_forever(self):
        while not self.stopping.is_set():
            try:
                self.watch()
            except Exception as error:  # noqa: BLE001 - the kubelet keeps going; the next list starts afresh
                say("watch failed: %s" % error)
                time.sleep(1)

    def shutdown(self):
        say("stopping every bookie and ZooKeeper")
        for bookie in list(self.bookies.values()):
            bookie.gone.set()
        for bookie in list(self.bookies.values()):
            bookie.thread.join(timeout=40)
        if self.zookeeper:
            stop(self.zookeeper, 10)
        self.net.down([2, *self.slots.values()])
        say("stopped")


class Bookie:
    """One pod: its process, its restarts and the status a kubelet would write."""

    def __init__(self, supervisor, pod, spec):
        self.sup, self.pod, self.spec = supervisor, pod, spec
        meta = pod["metadata"]
        self.key = "%s/%s" % (meta["namespace"], meta["name"])
        self.slot = supervisor.slot(self.key)
        self.ip = supervisor.net.address(self.slot)
        self.gone = threading.Event()
        self.thread = threading.Thread(target=self.live, daemon=True)
        self.process = None
        self.restarts = 0
        self.last_terminated = None
        self.started_at = None
        self.start_time = now()
        self.reported = None
        self.log = supervisor.state / "logs" / ("%s_%s.log" % (meta["namespace"], meta["name"]))

    # -- what the bookie runs
    def release_dir(self):
        return self.sup.cache / ("bookkeeper-%s" % self.spec["bookkeeper"]) / "lib"

    def cluster(self):
        meta = self.pod["metadata"]
        return (
            (meta.get("annotations") or {}).get(CLUSTER_ANNOTATION)
            or (meta.get("labels") or {}).get("bookkeeper_cluster")
            or meta["name"]
        )

    def config_map_options(self):
        options = {}
        namespace = self.pod["metadata"]["namespace"]
        for source in self.pod["spec"]["containers"][0].get("envFrom") or ():
            ref = (source.get("configMapRef") or {}).get("name")
            if not ref:
                continue
            try:
                data = self.sup.api.json("GET", "/api/v1/namespaces/%s/configmaps/%s" % (namespace, ref)).get("data")
            except urllib.error.HTTPError:
                continue
            for key, value in (data or {}).items():
                if key.startswith("BK_"):
                    options[key[3:]] = value
        return options

    def write_config(self, zookeeper):
        data = self.sup.state / "data" / self.key
        root = "/%s-%s" % (self.pod["metadata"]["namespace"], self.cluster())
        conf = dict(BOOKIE_DEFAULTS)
        conf.update(self.config_map_options())
        conf.update({k: str(v) for k, v in (self.spec.get("options") or {}).items()})
        for key in OWN_KEYS:
            conf.pop(key, None)
        conf.update(
            {
                "metadataServiceUri": "zk+null://%s%s" % (zookeeper, root),
                "bookiePort": str(BOOKIE_PORT),
                "advertisedAddress": self.ip,
                "useHostNameAsBookieID": "false",
                "journalDirectories": str(data / "journal"),
                "ledgerDirectories": str(data / "ledgers"),
                "httpServerEnabled": "true",
                "httpServerPort": str(ADMIN_PORT),
                "httpServerClass": "org.apache.bookkeeper.http.vertx.VertxHttpServer",
            }
        )
        (data / "journal").mkdir(parents=True, exist_ok=True)
        (data / "ledgers").mkdir(parents=True, exist_ok=True)
        path = self.sup.state / "conf" / (self.key.replace("/", "_") + ".conf")
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join("%s=%s\n" % item for item in sorted(conf.items())))
        return path, root

    def start(self):
        zookeeper = self.sup.ensure_zookeeper()
        if not self.release_dir().is_dir():
            raise RuntimeError(
                "BookKeeper %s is not fetched: run scripts/cluster/build.sh bookkeeper" % self.spec["bookkeeper"]
            )
        conf, root = self.write_config(zookeeper)
        self.sup.ensure_ledgers_root(root, self.release_dir(), conf)
        ns = self.sup.net.namespace(self.slot)
        if not pathlib.Path("/run/netns/" + ns).exists():
            self.sup.net.add(self.slot)
        with open(self.log, "a") as log:
            log.write(
                "=== %s starting BookKeeper %s (%s)\n"
                % (now(), self.spec["bookkeeper"], self.pod["spec"]["containers"][0]["image"])
            )
        self.process = java(
            str(self.release_dir()),
            "org.apache.bookkeeper.server.Main",
            ["--conf", str(conf)],
            self.sup.hosts,
            self.log,
            ns,
        )
        self.started_at = now()

    def serving(self):
        try:
            with urllib.request.urlopen(
                "http://%s:%d/api/v1/bookie/state" % (self.ip, ADMIN_PORT), timeout=2
            ) as answer:
                state = json.loads(answer.read())
            return state.get("running") and not state.get("readOnly") and not state.get("shuttingDown")
        except (OSError, ValueError):
            return False

    # -- the status a kubelet writes
    def status(self, phase, container_state, ready):
        pod = self.pod
        container = pod["spec"]["containers"][0]
        condition = "True" if ready else "False"
        reason = {} if ready else {"reason": "ContainersNotReady"}
        stamp = now()
        conditions = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": self.start_time},
            {"type": "Initialized", "status": "True", "lastTransitionTime": self.start_time},
            dict({"type": "ContainersReady", "status": condition, "lastTransitionTime": stamp}, **reason),
            dict({"type": "Ready", "status": condition, "lastTransitionTime": stamp}, **reason),
        ]
        status = {
            "phase": phase,
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": self.ip,
            "podIPs": [{"ip": self.ip}],
            "startTime": self.start_time,
            "conditions": conditions,
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container["image"],
                    "imageID": container["image"],
                    "ready": ready,
                    "started": "running" in container_state,
                    "restartCount": self.restarts,
                    "state": container_state,
                    "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
                }
            ],
        }
        # Written only when something other than the times changed.
        seen = json.dumps([phase, container_state, ready, self.restarts, self.last_terminated], sort_keys=True)
        if seen == self.reported:
            return
        meta = pod["metadata"]
        try:
            self.sup.api.json(
                "PATCH",
                "/api/v1/namespaces/%s/pods/%s/status" % (meta["namespace"], meta["name"]),
                {"metadata": {"uid": meta["uid"]}, "status": status},
                "application/merge-patch+json",
            )
            self.reported = seen
        except urllib.error.HTTPError as error:
            if error.code not in (404, 409):
                say("%s: status not written: HTTP %s %s" % (self.key, error.code, error.read()[:300]))

    def live(self):
        try:
            self._live()
        except Exception as error:  # noqa: BLE001 - shown on the pod, as a kubelet shows a failed start
            say("%s: %s" % (self.key, error))
            self.status("Pending", {"waiting": {"reason": "CreateContainerError", "message": str(error)[:300]}}, False)
            self.gone.wait()
            self.terminate()

    def _live(self):
        self.status("Pending", {"waiting": {"reason": "ContainerCreating"}}, False)
        restart_at = 0.0
        while True:
            if self.gone.is_set() or self.pod["metadata"].get("deletionTimestamp"):
                self.terminate()
                return
            if self.process is None:
                if time.monotonic() >= restart_at:
                    self.start()
                    self.status("Running", {"running": {"startedAt": self.started_at}}, False)
                self.gone.wait(0.2)
                continue
            code = self.process.poll()
            if code is not None:
                self.last_terminated = {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": self.started_at,
                    "finishedAt": now(),
                }
                self.process = None
                base, cap = self.sup.backoff
                delay = min(base * 2**self.restarts, cap)
                self.restarts += 1
                restart_at = time.monotonic() + delay
                message = "back-off %gs restarting failed container=%s" % (
                    delay,
                    self.pod["spec"]["containers"][0]["name"],
                )
                say("%s: bookie exited with %d; %s" % (self.key, code, message))
                self.status("Running", {"waiting": {"reason": "CrashLoopBackOff", "message": message}}, False)
                continue
            ready = self.serving()
            self.status("Running", {"running": {"startedAt": self.started_at}}, ready)
            self.gone.wait(1.0 if ready else 0.3)

    def terminate(self):
        meta = self.pod["metadata"]
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        if self.process is not None:
            code = stop(self.process, grace)
            say("%s: bookie stopped (exit %s)" % (self.key, code))
            self.process = None
        self.sup.net.remove(self.slot)
        self.sup.finished.add(meta["uid"])
        self.sup.bookies.pop(meta["uid"], None)
        if self.gone.is_set() and not meta.get("deletionTimestamp"):
            return  # the supervisor stops, or the pod was removed already
        self.sup.delete(self.pod)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--name", "--kubeconfig", "--registry", "--cache", "--state", "--zookeeper"):
        parser.add_argument(option, required=True)
    args = parser.parse_args(argv)
    Supervisor(args).main()


if __name__ == "__main__":
    sys.exit(main())
