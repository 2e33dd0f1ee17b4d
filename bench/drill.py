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
from ansible_collections.bookkeeper.ops.tests.support.tables import cell, table  # noqa: E402
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


def module_process(pid):
    """The bk_upgrade module process started by ``pid``, if one runs now."""
    for child in descendants(pid):
        if "AnsiballZ_bk_upgrade" in cmdline(child) and "python" in cmdline(child).split(" ", 1)[0]:
            return child
    return None


# What each drill records of one run: a table row, a column per field.
KillRun = collections.namedtuple(
    "KillRun",
    "run killed upgrade kill_at_s state_at_kill on_target rerun_rc recover_s max_down evictions budget_blocked_s "
    "result",
)
RestartRun = collections.namedtuple(
    "RestartRun",
    "run driven_by upgrade replaced_at_kill api_back_after_s first_run recover_s max_down watch_blind_s "
    "budget_blocked_s result",
)
FreezeRun = collections.namedtuple(
    "FreezeRun",
    "run pause_s timeout_s upgrade replaced_at_pause outcome run_took_s paused_after_s next_run_s "
    "restarted_by_keepalive max_down result",
)
DrillSummary = collections.namedtuple("DrillSummary", "drill figures")
RaceRun = collections.namedtuple(
    "RaceRun", "run upgrade exit_codes refused_run_named_holder evictions max_per_pod max_down result"
)


def verdict(problems):
    return "VIOLATION" if problems else "OK"


def show(drill, record, said=""):
    print("  %s %s" % (drill, " | ".join(cell(value) for value in record)), flush=True)
    if said:
        print("    said: %s" % said[:600], flush=True)


# Steps the drills share
def tally(runs, records, violations, **outcomes):
    """A drill's line in the summary: how many ``runs``, then ``outcomes``, then its violations."""
    return {
        runs: len(records),
        **{name.replace("_", " "): count for name, count in outcomes.items()},
        "violations": len(violations),
    }


def repeat(drill, count, once):
    """``once(number)`` for numbers 1 to ``count``, each record shown as it comes: (records, violations)."""
    records, violations = [], []
    for number in range(1, count + 1):
        record, problems, said = once(number)
        records.append(record)
        show(drill, record, said)
        violations += ["%s %d: %s" % (drill, number, problem) for problem in problems]
    return records, violations


def replaced(run, namespace, target, wanted):
    """Wait until ``wanted`` bookies run ``target``, or ``run`` ends."""
    while pods_on(namespace, target) < wanted and run.poll() is None:
        time.sleep(0.1)


def failure_said(output):
    """The line in which a failed run says why."""
    lines = [line for line in output.splitlines() if '"msg"' in line or "Module failed" in line]
    return lines[-1].strip() if lines else output[-300:]


def after_run(api, target, replicas, watch):
    """What is wrong once a run (and its rerun) is done: the status, and two bookies down at once."""
    problems = status_problems(api, target, replicas)
    if watch.most_down > 1:
        problems.append("%d bookies unavailable at once" % watch.most_down)
    return problems


def eviction_problems(evicted, replicas):
    twice = sorted(pod for pod, count in evicted.items() if count > 1)
    problems = ["evicted twice: %s" % ", ".join(twice)] if twice else []
    if sum(evicted.values()) != replicas:
        problems.append("%d evictions for %d bookies" % (sum(evicted.values()), replicas))
    return problems


# Drill (a): kill -9 at a random moment, then a rerun
def victims_after(run, mode, delay):
    """The processes to kill ``delay`` s after ``run`` started: the playbook and all it started, or its module
    process alone; None when the run ended before there was anything to kill."""
    began = time.monotonic()
    while time.monotonic() - began < delay and run.poll() is None:
        time.sleep(0.02)
    victim = None
    if mode == "module":
        # Only the module: wait for one to run (the playbook may be between two tasks).
        deadline = time.monotonic() + 10
        while run.poll() is None and time.monotonic() < deadline and victim is None:
            victim = module_process(run.pid)
            time.sleep(0.02)
    if run.poll() is not None:
        run.communicate()
        return None
    return [run.pid, *descendants(run.pid)] if mode == "playbook" else [victim]


def kill_once(client, chain, kubeconfig, options, rng, number, mode):
    """One kill and its rerun: (KillRun, problems), or (KillRun, None) when the run ended before the kill."""
    api, source, target = chain.next()
    upgrade = "%s->%s" % (source, target)
    since = settle_audit(api.namespace)
    delay = rng.uniform(0.5, options.kill_window)
    with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
        run = start(upgrade_playbook(api.namespace, target), kubeconfig)
        victims = victims_after(run, mode, delay)
        if victims is None:
            return KillRun(number, mode, upgrade, delay, *["-"] * 7, "finished before the kill; not counted"), None
        killed_at = time.monotonic()
        upgrading = bool((api.get_cluster().get("status") or {}).get("targetVersion"))
        on_target = pods_on(api.namespace, target)
        kill(victims)
        run.communicate(timeout=120)
        rerun = start(upgrade_playbook(api.namespace, target), kubeconfig)
        output, _unused = rerun.communicate(timeout=900)
        recovered = time.monotonic() - killed_at
    problems = after_run(api, target, options.replicas, watch)
    if rerun.returncode != 0:
        problems.append("rerun failed: %s" % output[-1500:])
    settle_audit(api.namespace)
    evicted = evictions(api.namespace, since)
    problems += eviction_problems(evicted, options.replicas)
    record = KillRun(
        number,
        mode,
        upgrade,
        delay,
        "upgrading" if upgrading else "before start",
        "%d/%d" % (on_target, options.replicas),
        rerun.returncode,
        recovered,
        watch.most_down,
        sum(evicted.values()),
        budget_blocked(api.namespace, since),
        verdict(problems),
    )
    return record, problems


def kill_drill(client, kubeconfig, options, rng):
    chain = Chain(client, "drill-kill", options.replicas)
    records, violations, kills = [], [], 0
    while kills < options.kills:
        mode = "playbook" if kills % 2 == 0 else "module"
        record, problems = kill_once(client, chain, kubeconfig, options, rng, len(records) + 1, mode)
        records.append(record)
        show("kill", record)
        if problems is None:
            continue
        kills += 1
        if problems:
            violations.append("kill %d (%s, %s): %s" % (kills, mode, record.upgrade, "; ".join(problems)))
    table(
        "Drill a: kill -9 at a random moment of a %d-bookie upgrade (playbooks/upgrade.yml), then a rerun"
        % options.replicas,
        records,
    )
    counted = [record for record in records if record.rerun_rc != "-"]
    recovers = [record.recover_s for record in counted]
    summary = {
        "kills": kills,
        "reruns": len(counted),
        "kills mid-upgrade": sum(1 for record in counted if record.state_at_kill == "upgrading"),
        "max unavailable seen": max(record.max_down for record in counted),
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


def apiserver_pid():
    pid = int((PLANE.directory / "pids" / "kube-apiserver.pid").read_text().strip())
    if "clusters/%s/" % NAME not in cmdline(pid):
        raise RuntimeError("pid %d is not the kube-apiserver of %s" % (pid, NAME))
    return pid


def kill_apiserver():
    os.kill(apiserver_pid(), signal.SIGKILL)


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


def restart_once(client, chain, kubeconfig, options, rng, number, started):
    """One kill of the API server in the middle of an upgrade, and a rerun if the run failed."""
    api, source, target = chain.next()
    how = "playbook" if number % 2 else "bk_upgrade task"
    command = upgrade_playbook if how == "playbook" else upgrade_task
    since = settle_audit(api.namespace)
    problems, said = [], ""
    with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
        run = start(command(api.namespace, target), kubeconfig)
        wanted = rng.randint(2, options.replicas - 3)
        replaced(run, api.namespace, target, wanted)
        down_at = time.monotonic()
        kill_apiserver()
        time.sleep(options.downtime)
        started.append(start_apiserver())
        wait_ready()
        back = time.monotonic() - down_at
        output, _unused = run.communicate(timeout=900)
        if run.returncode != 0:
            said = failure_said(output)
            if "retryable" not in output:
                problems.append("failed without saying it is retryable: %s" % said)
            rerun = start(command(api.namespace, target), kubeconfig)
            rerun_output, _unused = rerun.communicate(timeout=900)
            if rerun.returncode != 0:
                problems.append("the rerun failed: %s" % rerun_output[-1500:])
        recovered = time.monotonic() - down_at
    problems += after_run(api, target, options.replicas, watch)
    settle_audit(api.namespace)
    record = RestartRun(
        number,
        how,
        "%s->%s" % (source, target),
        "%d/%d" % (wanted, options.replicas),
        back,
        "survived" if run.returncode == 0 else "failed",
        recovered,
        watch.most_down,
        watch.blind,
        budget_blocked(api.namespace, since),
        verdict(problems),
    )
    return record, problems, said


def restart_drill(client, kubeconfig, options, rng, started):
    chain = Chain(client, "drill-restart", options.replicas)
    records, violations = repeat(
        "restart",
        options.restarts,
        lambda number: restart_once(client, chain, kubeconfig, options, rng, number, started),
    )
    table(
        "Drill b: kube-apiserver killed (SIGKILL) mid-rollout and started again after %.0f s" % options.downtime,
        records,
    )
    outcomes = collections.Counter(record.first_run for record in records)
    return tally("restarts", records, violations, survived=outcomes["survived"], failed=outcomes["failed"]), violations


# Drill (c): two runs at once
def race_once(client, chain, kubeconfig, options, number):
    api, source, target = chain.next()
    since = settle_audit(api.namespace)
    with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
        runs = [start(upgrade_task(api.namespace, target), kubeconfig) for _unused in range(2)]
        outputs = [run.communicate(timeout=900)[0] for run in runs]
    settle_audit(api.namespace)
    evicted = evictions(api.namespace, since)
    codes = [run.returncode for run in runs]
    problems = after_run(api, target, options.replicas, watch) + eviction_problems(evicted, options.replicas)
    if sorted(codes) not in ([0, 2], [0, 4]):
        problems.append("exit codes %s, expected one success and one failure" % codes)
    refused = [output for run, output in zip(runs, outputs) if run.returncode != 0]
    holder = ""
    if refused and (
        "is being driven by another run" not in refused[0] or "holds Lease bookkeeper-ops-bk" not in refused[0]
    ):
        problems.append("the refusal does not name the holder: %s" % refused[0][-800:])
    elif refused:
        holder = refused[0].split("another run (", 1)[1].split(")", 1)[0]
    record = RaceRun(
        number,
        "%s->%s" % (source, target),
        " ".join(str(code) for code in codes),
        holder or "-",
        sum(evicted.values()),
        max(evicted.values() or [0]),
        watch.most_down,
        verdict(problems),
    )
    return record, problems, ""


def race_drill(client, kubeconfig, options):
    chain = Chain(client, "drill-race", options.replicas)
    records, violations = repeat(
        "race", options.races, lambda number: race_once(client, chain, kubeconfig, options, number)
    )
    table("Drill c: two bk_upgrade runs started at once on one %d-bookie cluster" % options.replicas, records)
    return tally("races", records, violations), violations


# Drill (d): the API server paused (SIGSTOP) mid-rollout, then resumed (SIGCONT)
def controller_pids():
    return {name: (PLANE.directory / "pids" / ("%s.pid" % name)).read_text().strip() for name in KEPT_ALIVE}


def paused(seconds):
    """Pause the API server for ``seconds``, then let it go on."""
    frozen = apiserver_pid()
    os.kill(frozen, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(frozen, signal.SIGCONT)


def freeze_once(client, chain, kubeconfig, options, rng, number):
    """One bk_upgrade task whose API server is paused in its middle, then the next run of the same task."""
    pause = options.pauses[(number - 1) % len(options.pauses)]
    timeout = options.freeze_timeouts[(number - 1) % len(options.freeze_timeouts)]
    api, source, target = chain.next()
    arguments = {"name": "bk", "namespace": api.namespace, "version": target, "timeout": timeout}
    command = [
        os.path.join(BIN, "ansible"),
        "localhost",
        "-m",
        "bookkeeper.ops.bk_upgrade",
        "-a",
        json.dumps(arguments),
    ]
    before = controller_pids()
    problems, said = [], ""
    limit = timeout + http_door.GRACE_SECONDS + STARTUP_SECONDS
    with BookieWatch(client, api.namespace, "bk", options.replicas) as watch:
        began = time.monotonic()
        run = start(command, kubeconfig)
        wanted = rng.randint(2, options.replicas - 3)
        replaced(run, api.namespace, target, wanted)
        paused_after = time.monotonic() - began
        paused(pause)
        output, _unused = run.communicate(timeout=timeout + 600)
        took = time.monotonic() - began
        if run.returncode != 0:
            said = failure_said(output)
            if '"retryable": true' not in output:
                problems.append("failed without saying it is retryable: %s" % said)
        if took > limit:
            problems.append("ran %.0f s, past its timeout %d s + %.0f s" % (took, timeout, limit - timeout))
        if took > pause + timeout + STARTUP_SECONDS:
            problems.append("ran %.0f s, past pause + timeout" % took)
        next_at = time.monotonic()
        rerun = start(upgrade_task(api.namespace, target), kubeconfig)
        rerun_output, _unused = rerun.communicate(timeout=900)
        next_took = time.monotonic() - next_at
        if rerun.returncode != 0:
            problems.append("the next run failed: %s" % rerun_output[-1500:])
    problems += after_run(api, target, options.replicas, watch)
    restarted = [name for name, pid in controller_pids().items() if pid != before[name]]
    record = FreezeRun(
        number,
        pause,
        timeout,
        "%s->%s" % (source, target),
        "%d/%d" % (wanted, options.replicas),
        "carried on" if run.returncode == 0 else "failed",
        took,
        paused_after,
        next_took,
        ", ".join(restarted) or "-",
        watch.most_down,
        verdict(problems),
    )
    return record, problems, said


def freeze_drill(client, kubeconfig, options, rng):
    """Each run pauses the API server for one of ``options.pauses`` seconds while a bk_upgrade task (``timeout``
    from ``options.freeze_timeouts``, in turn) replaces bookies, then resumes it. The run must carry on or fail
    saying it is retryable, and end within its timeout plus one request's grace; the next run must finish."""
    chain = Chain(client, "drill-freeze", options.replicas)
    records, violations = repeat(
        "freeze", options.freezes, lambda number: freeze_once(client, chain, kubeconfig, options, rng, number)
    )
    table("Drill d: kube-apiserver paused (SIGSTOP) mid-rollout, resumed (SIGCONT) after the pause", records)
    outcomes = collections.Counter(record.outcome for record in records)
    return tally(
        "freezes", records, violations, carried_on=outcomes["carried on"], failed=outcomes["failed"]
    ), violations


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
        [DrillSummary(name, ", ".join("%s %s" % item for item in summary.items())) for name, summary in summaries],
    )
    for violation in violations:
        print("VIOLATION: %s" % violation)
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
