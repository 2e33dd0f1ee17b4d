"""Fault drills on a cluster of their own; prints tables of figures and exits non-zero on any violation.

    .venv/bin/python bench/drill.py [--kills 20] [--replicas 10] [--restarts 3] [--races 3] [--seed 7]

(``make drill`` runs it with the defaults; ``--only freeze`` runs one drill.) It starts the local cluster bk-drill
(BK_CLUSTER_NAME=bk-drill, pods Ready 1 s after they start) and removes it at the end
(``--keep`` leaves it). Four drills, each on 10-bookie clusters:

* kill: ``ansible-playbook playbooks/upgrade.yml`` is killed with SIGKILL at a random moment
  (uniform over the first ``--kill-window`` seconds), alternately the playbook with every
  process it started and the bk_upgrade module process alone; then the same command is run
  again. After each rerun the status must be right (currentVersion = target, targetVersion
  empty, PodsReady True and every other condition False, every pod Ready on the target), a
  watch of the pods must never have seen two bookies unavailable, and no pod may have been
  evicted twice. Targets climb 0.11.0 -> 0.12.0 -> ... -> 0.15.0 (the good images of
  scripts/cluster/registry.yaml), then a fresh cluster starts at 0.11.0.
* restart: the kube-apiserver of bk-drill is killed (SIGKILL) in the middle of an upgrade and
  started again a few seconds later; the run must succeed, or fail saying it is retryable,
  and a rerun must complete. Alternately the upgrade playbook and one bk_upgrade task
  (wait: true).
* freeze: the kube-apiserver of bk-drill is paused (SIGSTOP) in the middle of an upgrade driven by one bk_upgrade
  task and resumed (SIGCONT) after ``--pauses`` seconds (30 and 75 in turn: longer than a request's timeout, and
  longer than the controllers' leader-election deadlines), with timeouts of ``--freeze-timeouts``. The run must
  carry on, or fail saying it is retryable, within its timeout plus one request's grace; never two bookies
  unavailable; the next run must finish (after a long pause it relies on scripts/cluster/keepalive.py having
  started the controller manager and scheduler again).
* race: two ``bk_upgrade`` runs (wait: true) start at once on one cluster: exactly one must
  succeed, the other must fail naming the run holding the Lease, and the audit log must show
  exactly one eviction per bookie.
"""

import argparse
import collections
import json
import os
import pathlib
import random
import signal
import statistics
import subprocess
import sys
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "links"))

from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection, http_door  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.cluster import ClusterAPI  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import operations  # noqa: E402
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support import audit, planes  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.kubectl import fresh_namespace  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.processes import descendants, kill  # noqa: E402
from ansible_collections.bookkeeper.ops.tests.support.watchers import BookieWatch  # noqa: E402

NAME = "bk-drill"
PLANE = planes.Plane(NAME, pod_ready_seconds=1)
VERSIONS = ["0.11.0", "0.12.0", "0.13.0", "0.14.0", "0.15.0"]
BIN = os.path.dirname(sys.executable)
CONDITIONS_FALSE = ("Upgrading", "Error", "RollbackInProgress", "HealthCheckFailing")
# scripts/cluster/keepalive.py starts these again when a long pause of the API server makes them exit.
KEPT_ALIVE = ("kube-controller-manager", "kube-scheduler")
# What a module run takes before its first request and after its last (ansible's start, the module's import).
STARTUP_SECONDS = 10.0


# Processes
def cmdline(pid):
    try:
        return pathlib.Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start(command, kubeconfig):
    env = dict(PLANE.env, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "links"))
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_LOCALHOST_WARNING="False")
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )


def upgrade_playbook(namespace, version):
    return [
        os.path.join(BIN, "ansible-playbook"),
        str(REPO / "playbooks" / "upgrade.yml"),
        "-e",
        "cluster=bk",
        "-e",
        "namespace=%s" % namespace,
        "-e",
        "version=%s" % version,
    ]


def upgrade_task(namespace, version):
    arguments = {"name": "bk", "namespace": namespace, "version": version, "timeout": 600}
    return [os.path.join(BIN, "ansible"), "localhost", "-m", "bookkeeper.ops.bk_upgrade", "-a", json.dumps(arguments)]


# Checks
def pods_on(namespace, version):
    """How many bookies of ``namespace`` run ``version``."""
    pods = json.loads(PLANE.kubectl("get", "pods", "-n", namespace, "-l", "bookkeeper_cluster=bk", "-o", "json"))[
        "items"
    ]
    return sum(1 for pod in pods if pod["metadata"]["annotations"].get("bookkeeper.version") == version)


def status_problems(api, target, replicas):
    """What is wrong with the cluster's status after a run to ``target``; empty when it is right."""
    cluster = api.get_cluster()
    status = cluster.get("status") or {}
    problems = []
    if status.get("currentVersion") != target:
        problems.append("currentVersion %r" % status.get("currentVersion"))
    if status.get("targetVersion"):
        problems.append("targetVersion %r" % status.get("targetVersion"))
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or ()}
    if conditions.get("PodsReady") != "True":
        problems.append("PodsReady %s" % conditions.get("PodsReady"))
    problems += ["%s True" % kind for kind in CONDITIONS_FALSE if conditions.get(kind, "False") != "False"]
    pods = json.loads(PLANE.kubectl("get", "pods", "-n", api.namespace, "-l", "bookkeeper_cluster=bk", "-o", "json"))
    versions = collections.Counter(p["metadata"]["annotations"].get("bookkeeper.version") for p in pods["items"])
    if versions != {target: replicas}:
        problems.append("pod versions %s" % dict(versions))
    return problems


def settle_audit(namespace):
    """A mark in the audit log, once every earlier request is logged."""
    return audit.AuditLog(PLANE.kubectl).settle(namespace)


def evictions(namespace, since):
    """Successful evictions by the collection in ``namespace`` logged after mark ``since``: pod -> count."""
    return audit.evicted(audit.AuditLog(PLANE.kubectl).requests(since), namespace)


def budget_blocked(namespace, since):
    """Seconds evictions in ``namespace`` were refused by the PodDisruptionBudget (HTTP 429), per the audit log.

    For each refused pod: from its first refusal to its eviction (or the last refusal).
    """
    refused, evicted = {}, {}
    for entry in audit.evictions(audit.AuditLog(PLANE.kubectl).requests(since), namespace):
        pod, stamp = entry["objectRef"]["name"], audit.received(entry)
        code = entry.get("responseStatus", {}).get("code", 500)
        if code == 429:
            first, _last = refused.get(pod, (stamp, stamp))
            refused[pod] = (min(first, stamp), stamp)
        elif code < 300 and pod in refused:
            evicted.setdefault(pod, stamp)
    return sum(evicted.get(pod, last) - first for pod, (first, last) in refused.items())


class Chain:
    """A 10-bookie cluster climbing VERSIONS; a fresh one when it is at the top."""

    def __init__(self, client, prefix, replicas):
        self.client, self.prefix, self.replicas = client, prefix, replicas
        self.count = 0
        self.api = None

    def next(self):
        """(api, from version, to version) for the next upgrade."""
        current = self.api and self.api.get_cluster()["status"]["currentVersion"]
        if current in (None, VERSIONS[-1]):
            self.count += 1
            namespace = fresh_namespace(PLANE.kubectl, "%s-%d" % (self.prefix, self.count))
            self.api = ClusterAPI(self.client, "bk", namespace)
            operations.deploy(
                self.api,
                spec={"version": VERSIONS[0], "replicas": self.replicas},
                options=RolloutOptions(wait=True, timeout=300),
            )
            current = VERSIONS[0]
        return self.api, current, VERSIONS[VERSIONS.index(current) + 1]


# Drill (a): kill -9 and rerun
def module_process(pid):
    """The bk_upgrade module process started by ``pid``, if one runs now."""
    for child in descendants(pid):
        if "AnsiballZ_bk_upgrade" in cmdline(child) and "python" in cmdline(child).split(" ", 1)[0]:
            return child
    return None


def kill_drill(client, kubeconfig, options, rng):
    chain = Chain(client, "drill-kill", options.replicas)
    rows, violations, kills = [], [], 0
    trial = 0
    while kills < options.kills:
        trial += 1
        api, source, target = chain.next()
        mode = "playbook" if kills % 2 == 0 else "module"
        since = settle_audit(api.namespace)
        with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
            run = start(upgrade_playbook(api.namespace, target), kubeconfig)
            began = time.monotonic()
            delay = rng.uniform(0.5, options.kill_window)
            victim = None
            while time.monotonic() - began < delay and run.poll() is None:
                time.sleep(0.02)
            if mode == "module":
                # Only the module: wait for one to run (the playbook may be between two tasks).
                deadline = time.monotonic() + 10
                while run.poll() is None and time.monotonic() < deadline:
                    victim = module_process(run.pid)
                    if victim:
                        break
                    time.sleep(0.02)
            if run.poll() is not None:
                run.communicate()
                rows.append([trial, mode, "%s->%s" % (source, target), "%.1f" % delay] + ["-"] * 7)
                rows[-1].append("finished before the kill; not counted")
                continue
            killed_at = time.monotonic()
            at_kill = api.get_cluster().get("status") or {}
            mid = bool(at_kill.get("targetVersion"))
            on_target = pods_on(api.namespace, target)
            if mode == "playbook":
                kill([run.pid, *descendants(run.pid)])
            else:
                kill([victim])
            first_output, _unused = run.communicate(timeout=120)
            kills += 1
            rerun = start(upgrade_playbook(api.namespace, target), kubeconfig)
            output, _unused = rerun.communicate(timeout=900)
            recovered = time.monotonic() - killed_at
        problems = status_problems(api, target, options.replicas)
        if rerun.returncode != 0:
            problems.append("rerun failed: %s" % output[-1500:])
        if watch.most_down > 1:
            problems.append("%d bookies unavailable at once" % watch.most_down)
        settle_audit(api.namespace)
        evicted = evictions(api.namespace, since)
        blocked = budget_blocked(api.namespace, since)
        twice = sorted(pod for pod, count in evicted.items() if count > 1)
        if twice:
            problems.append("evicted twice: %s" % ", ".join(twice))
        if sum(evicted.values()) != options.replicas:
            problems.append("%d evictions for %d bookies" % (sum(evicted.values()), options.replicas))
        if problems:
            violations.append("kill %d (%s, %s): %s" % (kills, mode, target, "; ".join(problems)))
        rows.append(
            [
                trial,
                mode,
                "%s->%s" % (source, target),
                "%.1f" % delay,
                "upgrading" if mid else "before start",
                "%d/%d" % (on_target, options.replicas),
                rerun.returncode,
                "%.1f" % recovered,
                watch.most_down,
                sum(evicted.values()),
                "%.0f" % blocked,
                "OK" if not problems else "VIOLATION",
            ]
        )
        print("  kill %2d/%d: %s" % (kills, options.kills, " ".join(str(c) for c in rows[-1])), flush=True)
    table(
        "Drill a: kill -9 at a random moment of a %d-bookie upgrade (playbooks/upgrade.yml), then a rerun"
        % options.replicas,
        [
            "run",
            "killed",
            "upgrade",
            "kill at s",
            "state at kill",
            "on target",
            "rerun rc",
            "recover s",
            "max down",
            "evictions",
            "budget-blocked s",
            "result",
        ],
        rows,
    )
    counted = [row for row in rows if row[6] != "-"]
    recovers = [float(row[7]) for row in counted]
    summary = {
        "kills": kills,
        "reruns": len(counted),
        "kills mid-upgrade": sum(1 for row in counted if row[4] == "upgrading"),
        "max unavailable seen": max(row[8] for row in counted),
        "recover median s": "%.1f" % statistics.median(recovers),
        "recover max s": "%.1f" % max(recovers),
        "violations": len(violations),
    }
    return summary, violations


# Drill (b): the API server restarted in the middle of a rollout
def component(name):
    config = [d for d in yaml.safe_load_all((PLANE.directory / "kwok.yaml").read_text()) if d and d.get("kind")]
    config = [d for d in config if d["kind"] == "KwokctlConfiguration"][0]
    return [c for c in config["components"] if c["name"] == name][0]


def kill_apiserver():
    pid = int((PLANE.directory / "pids" / "kube-apiserver.pid").read_text().strip())
    if "clusters/%s/" % NAME not in cmdline(pid):
        raise RuntimeError("pid %d is not the kube-apiserver of %s" % (pid, NAME))
    os.kill(pid, signal.SIGKILL)


def start_apiserver():
    """Start the kube-apiserver again as kwokctl started it; returns its Popen."""
    spec = component("kube-apiserver")
    log = (PLANE.directory / "logs" / "kube-apiserver.log").open("ab")
    process = subprocess.Popen(
        [spec["binary"], *spec.get("args", [])],
        cwd=spec.get("workDir"),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    (PLANE.directory / "pids" / "kube-apiserver.pid").write_text(str(process.pid))
    return process


def wait_ready(seconds=60):
    deadline = time.monotonic() + seconds
    while PLANE.kubectl("get", "--raw", "/readyz", check=False).returncode:
        if time.monotonic() > deadline:
            raise RuntimeError("the API server of %s is not ready after %d s" % (NAME, seconds))
        time.sleep(0.1)


def restart_drill(client, kubeconfig, options, rng, started):
    chain = Chain(client, "drill-restart", options.replicas)
    rows, violations = [], []
    for trial in range(1, options.restarts + 1):
        api, source, target = chain.next()
        how = "playbook" if trial % 2 else "bk_upgrade task"
        command = upgrade_playbook if how == "playbook" else upgrade_task
        since = settle_audit(api.namespace)
        with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
            run = start(command(api.namespace, target), kubeconfig)
            wanted = rng.randint(2, options.replicas - 3)
            while pods_on(api.namespace, target) < wanted and run.poll() is None:
                time.sleep(0.1)
            down_at = time.monotonic()
            kill_apiserver()
            time.sleep(options.downtime)
            started.append(start_apiserver())
            wait_ready()
            back = time.monotonic() - down_at
            output, _unused = run.communicate(timeout=900)
            first_rc = run.returncode
            outcome = "survived" if first_rc == 0 else "failed"
            message = ""
            if first_rc != 0:
                lines = [line for line in output.splitlines() if '"msg"' in line or "Module failed" in line]
                message = lines[-1].strip() if lines else output[-300:]
                if "retryable" not in output:
                    violations.append("restart %d: failed without saying it is retryable: %s" % (trial, message))
                rerun = start(command(api.namespace, target), kubeconfig)
                rerun_output, _unused = rerun.communicate(timeout=900)
                if rerun.returncode != 0:
                    violations.append("restart %d: the rerun failed: %s" % (trial, rerun_output[-1500:]))
            recovered = time.monotonic() - down_at
        problems = status_problems(api, target, options.replicas)
        if watch.most_down > 1:
            problems.append("%d bookies unavailable at once" % watch.most_down)
        settle_audit(api.namespace)
        blocked = budget_blocked(api.namespace, since)
        if problems:
            violations.append("restart %d: %s" % (trial, "; ".join(problems)))
        rows.append(
            [
                trial,
                how,
                "%s->%s" % (source, target),
                "%d/%d" % (wanted, options.replicas),
                "%.1f" % back,
                outcome,
                "%.1f" % recovered,
                watch.most_down,
                "%.1f" % watch.blind,
                "%.0f" % blocked,
                "OK" if not problems else "VIOLATION",
            ]
        )
        print("  restart %d: %s" % (trial, " ".join(str(c) for c in rows[-1])), flush=True)
        if message:
            print("    first run: %s" % message[:400], flush=True)
    table(
        "Drill b: kube-apiserver killed (SIGKILL) mid-rollout and started again after %.0f s" % options.downtime,
        [
            "run",
            "driven by",
            "upgrade",
            "replaced at kill",
            "API back after s",
            "first run",
            "recover s",
            "max down",
            "watch blind s",
            "budget-blocked s",
            "result",
        ],
        rows,
    )
    return {
        "restarts": len(rows),
        "survived": sum(1 for r in rows if r[5] == "survived"),
        "failed, rerun completed": sum(1 for r in rows if r[5] == "failed"),
        "violations": len(violations),
    }, violations


# Drill (d): the API server paused (SIGSTOP) mid-rollout, then resumed (SIGCONT)
def apiserver_pid():
    pid = int((PLANE.directory / "pids" / "kube-apiserver.pid").read_text().strip())
    if "clusters/%s/" % NAME not in cmdline(pid):
        raise RuntimeError("pid %d is not the kube-apiserver of %s" % (pid, NAME))
    return pid


def controller_pids():
    return {name: (PLANE.directory / "pids" / ("%s.pid" % name)).read_text().strip() for name in KEPT_ALIVE}


def freeze_drill(client, kubeconfig, options, rng):
    """Each trial pauses the API server for one of ``options.pauses`` seconds while a bk_upgrade task (``timeout``
    from ``options.freeze_timeouts``, in turn) replaces bookies, then resumes it. The run must carry on or fail
    saying it is retryable, and end within its timeout plus one request's grace; the next run must finish."""
    chain = Chain(client, "drill-freeze", options.replicas)
    rows, violations = [], []
    limit_margin = http_door.GRACE_SECONDS + STARTUP_SECONDS
    for trial in range(1, options.freezes + 1):
        pause = options.pauses[(trial - 1) % len(options.pauses)]
        timeout = options.freeze_timeouts[(trial - 1) % len(options.freeze_timeouts)]
        api, source, target = chain.next()
        arguments = {"name": "bk", "namespace": api.namespace, "version": target, "timeout": timeout}
        command = [os.path.join(BIN, "ansible"), "localhost", "-m", "bookkeeper.ops.bk_upgrade"]
        command += ["-a", json.dumps(arguments)]
        before = controller_pids()
        with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
            began = time.monotonic()
            run = start(command, kubeconfig)
            wanted = rng.randint(2, options.replicas - 3)
            while pods_on(api.namespace, target) < wanted and run.poll() is None:
                time.sleep(0.1)
            frozen = apiserver_pid()
            paused_at = time.monotonic()
            os.kill(frozen, signal.SIGSTOP)
            try:
                time.sleep(pause)
            finally:
                os.kill(frozen, signal.SIGCONT)
            output, _unused = run.communicate(timeout=timeout + 600)
            took = time.monotonic() - began
            outcome = "carried on" if run.returncode == 0 else "failed"
            message = ""
            if run.returncode != 0:
                lines = [line for line in output.splitlines() if '"msg"' in line]
                message = lines[-1].strip() if lines else output[-300:]
                if '"retryable": true' not in output:
                    violations.append("freeze %d: failed without saying it is retryable: %s" % (trial, message))
            if took > timeout + limit_margin:
                violations.append(
                    "freeze %d: ran %.0f s, past its timeout %d s + %.0f s" % (trial, took, timeout, limit_margin)
                )
            if took > pause + timeout + STARTUP_SECONDS:
                violations.append("freeze %d: ran %.0f s, past pause + timeout" % (trial, took))
            rerun_took = 0.0
            rerun_at = time.monotonic()
            rerun = start(upgrade_task(api.namespace, target), kubeconfig)
            rerun_output, _unused = rerun.communicate(timeout=900)
            rerun_took = time.monotonic() - rerun_at
            if rerun.returncode != 0:
                violations.append("freeze %d: the next run failed: %s" % (trial, rerun_output[-1500:]))
        restarted = [name for name, pid in controller_pids().items() if pid != before[name]]
        problems = status_problems(api, target, options.replicas)
        if watch.most_down > 1:
            problems.append("%d bookies unavailable at once" % watch.most_down)
        if problems:
            violations.append("freeze %d: %s" % (trial, "; ".join(problems)))
        rows.append(
            [
                trial,
                "%.0f" % pause,
                timeout,
                "%s->%s" % (source, target),
                "%d/%d" % (wanted, options.replicas),
                outcome,
                "%.1f" % took,
                "%.1f" % (paused_at - began),
                "%.1f" % rerun_took,
                ", ".join(restarted) or "-",
                watch.most_down,
                "OK" if not problems else "VIOLATION",
            ]
        )
        print("  freeze %d: %s" % (trial, " | ".join(str(c) for c in rows[-1])), flush=True)
        if message:
            print("    said: %s" % message[:600], flush=True)
    table(
        "Drill d: kube-apiserver paused (SIGSTOP) mid-rollout, resumed (SIGCONT) after the pause",
        [
            "run",
            "pause s",
            "timeout s",
            "upgrade",
            "replaced at pause",
            "run",
            "run took s",
            "paused after s",
            "next run s",
            "restarted by keepalive",
            "max down",
            "result",
        ],
        rows,
    )
    return {
        "freezes": len(rows),
        "carried on": sum(1 for r in rows if r[5] == "carried on"),
        "failed retryable": sum(1 for r in rows if r[5] == "failed"),
        "violations": len(violations),
    }, violations


# Drill (c): two runs at once
def race_drill(client, kubeconfig, options):
    chain = Chain(client, "drill-race", options.replicas)
    rows, violations = [], []
    for trial in range(1, options.races + 1):
        api, source, target = chain.next()
        since = settle_audit(api.namespace)
        with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
            runs = [start(upgrade_task(api.namespace, target), kubeconfig) for _unused in range(2)]
            outputs = [run.communicate(timeout=900)[0] for run in runs]
        settle_audit(api.namespace)
        evicted = evictions(api.namespace, since)
        codes = [run.returncode for run in runs]
        problems = status_problems(api, target, options.replicas)
        if sorted(codes) != [0, 2] and sorted(codes) != [0, 4]:
            problems.append("exit codes %s, expected one success and one failure" % codes)
        refused = [out for run, out in zip(runs, outputs) if run.returncode != 0]
        holder = ""
        if refused:
            text = refused[0]
            if "is being driven by another run" not in text or "holds Lease bookkeeper-ops-bk" not in text:
                problems.append("the refusal does not name the holder: %s" % text[-800:])
            else:
                holder = text.split("another run (", 1)[1].split(")", 1)[0]
        twice = sorted(pod for pod, count in evicted.items() if count > 1)
        if twice or sum(evicted.values()) != options.replicas:
            problems.append("evictions %s" % dict(evicted))
        if watch.most_down > 1:
            problems.append("%d bookies unavailable at once" % watch.most_down)
        if problems:
            violations.append("race %d: %s" % (trial, "; ".join(problems)))
        rows.append(
            [
                trial,
                "%s->%s" % (source, target),
                " ".join(str(c) for c in codes),
                holder or "-",
                sum(evicted.values()),
                max(evicted.values() or [0]),
                watch.most_down,
                "OK" if not problems else "VIOLATION",
            ]
        )
        print("  race %d: %s" % (trial, " ".join(str(c) for c in rows[-1])), flush=True)
    table(
        "Drill c: two bk_upgrade runs started at once on one %d-bookie cluster" % options.replicas,
        ["run", "upgrade", "exit codes", "refused run named holder", "evictions", "max per pod", "max down", "result"],
        rows,
    )
    return {"races": len(rows), "violations": len(violations)}, violations


def table(title, header, rows):
    print("\n" + title)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  " + "  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)))
    print(flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-window", type=float, default=20.0, help="kill within this many seconds of the start")
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--downtime", type=float, default=5.0, help="seconds the API server stays down")
    parser.add_argument("--races", type=int, default=3)
    parser.add_argument("--freezes", type=int, default=4)
    parser.add_argument(
        "--pauses", type=float, nargs="+", default=[30.0, 75.0], help="seconds the API server stays paused, in turn"
    )
    parser.add_argument(
        "--freeze-timeouts", type=int, nargs="+", default=[300, 300, 60, 60], help="the runs' timeouts, in turn"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["kill", "restart", "race", "freeze"], action="append")
    parser.add_argument("--keep", action="store_true", help="leave the bk-drill cluster running")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    began = time.monotonic()
    started, summaries, violations = [], [], []
    try:
        with planes.running(PLANE, keep=options.keep):
            kubeconfig = PLANE.kubeconfig
            client = connection.api_client({"kubeconfig": kubeconfig}, environ={})
            drills = options.only or ["kill", "restart", "race", "freeze"]
            if "kill" in drills:
                summary, problems = kill_drill(client, kubeconfig, options, rng)
                summaries.append(("kill", summary))
                violations += problems
            if "restart" in drills:
                summary, problems = restart_drill(client, kubeconfig, options, rng, started)
                summaries.append(("restart", summary))
                violations += problems
            if "freeze" in drills:
                summary, problems = freeze_drill(client, kubeconfig, options, rng)
                summaries.append(("freeze", summary))
                violations += problems
            if "race" in drills:
                summary, problems = race_drill(client, kubeconfig, options)
                summaries.append(("race", summary))
                violations += problems
    finally:
        for process in started:
            try:
                process.wait(timeout=15)  # reap the API servers this script started
            except subprocess.TimeoutExpired:
                pass
    table(
        "Summary (seed %d, %.0f s)" % (options.seed, time.monotonic() - began),
        ["drill", "figures"],
        [[name, ", ".join("%s %s" % item for item in summary.items())] for name, summary in summaries],
    )
    for violation in violations:
        print("VIOLATION: %s" % violation)
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
