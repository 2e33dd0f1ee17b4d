# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Health checks a rollout runs before it takes down the next Ready bookie.

Three kinds, chosen with the ``health_check`` option of bk_upgrade and bk_rollback:

* ``bookkeeper``: asks a Ready bookie, through the API server's pod proxy, for the
  ledgers marked under-replicated (the bookie's HTTP admin endpoint,
  ``httpServerEnabled=true``). It passes when there are none.
* ``http``: a GET from the controller; it passes on a 2xx answer.
* ``command``: a command run on the controller; it passes when it exits 0. It gets
  BK_CLUSTER, BK_NAMESPACE and BK_NEXT_POD in its environment.

Each check returns plain data, ``{"check", "passed", "reason", "message"}``, which
the runner hands to the core in the next snapshot (machine.py decides). This
file holds the verdicts, pure functions; ``edge/probes.py`` asks the bookie, the
URL or the command.
"""

__metaclass__ = type

import json

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import pods

BOOKKEEPER = "bookkeeper"
HTTP = "http"
COMMAND = "command"

UNDER_REPLICATED_PATH = "api/v1/autorecovery/list_under_replicated_ledger"
# What BookKeeper 4.16 and 4.17 answer there (read on real bookies, tests/integration/real/test_real_bookies.py):
# 404 with this text when no ledger is marked, 200 with a JSON list of ledger ids when some are (a map of
# ledger id to missing replicas with printmissingreplica), and 500 "Exception when get." when the bookie
# cannot read the marks from its metadata store.
NONE_UNDER_REPLICATED = "No under replicated ledgers found"
# The longest message a condition carries: enough for a reason, short for kubectl describe.
MESSAGE_LIMIT = 300


def pending(spec):
    """The snapshot entry of a configured gate before its check ran, or None without a gate."""
    if not spec:
        return None
    return {"check": spec["type"], "passed": None, "reason": "", "message": ""}


def _verdict(check, passed, reason="", message=""):
    message = " ".join(message.split())
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    return {"check": check, "passed": passed, "reason": "" if passed else reason, "message": "" if passed else message}


def bookkeeper_verdict(bookie, status, body):
    """What the bookie's under-replicated-ledger listing says about the cluster."""
    if status == 404 and NONE_UNDER_REPLICATED in body:
        return _verdict(BOOKKEEPER, True)
    if status == 200:
        try:
            ledgers = json.loads(body)
        except ValueError:
            ledgers = None
        if ledgers is not None and not ledgers:
            return _verdict(BOOKKEEPER, True)
        if isinstance(ledgers, (list, dict)):
            shown = ", ".join(str(ledger) for ledger in list(ledgers)[:10])
            more = " and %d more" % (len(ledgers) - 10) if len(ledgers) > 10 else ""
            return _verdict(
                BOOKKEEPER,
                False,
                "UnderReplicatedLedgers",
                "%d under-replicated ledger(s) reported by %s: %s%s" % (len(ledgers), bookie, shown, more),
            )
    if status == 500 and body.strip() == "Exception when get.":
        # The admin server answered: the bookie could not read the marks from its metadata store.
        return _verdict(
            BOOKKEEPER,
            False,
            "HealthCheckUnreachable",
            "bookie %s could not list its under-replicated ledgers (HTTP 500: %s): is its metadata store "
            "(ZooKeeper) reachable?" % (bookie, body.strip()),
        )
    return _verdict(
        BOOKKEEPER,
        False,
        "HealthCheckUnreachable",
        "could not read the under-replicated ledgers from bookie %s (HTTP %s): %s; is httpServerEnabled=true set?"
        % (bookie, status or "none", body.strip() or "no answer"),
    )


def no_reporting_bookie():
    """The verdict when no other Ready bookie can be asked."""
    return _verdict(BOOKKEEPER, False, "HealthCheckUnreachable", "no other Ready bookie to ask")


def http_verdict(url, status, body):
    if 200 <= status < 300:
        return _verdict(HTTP, True)
    if not status:
        return _verdict(HTTP, False, "ProbeFailed", "GET %s got no answer: %s" % (url, body.strip()))
    return _verdict(HTTP, False, "ProbeFailed", "GET %s answered HTTP %s: %s" % (url, status, body.strip()))


def command_verdict(argv, returncode, output):
    if returncode == 0:
        return _verdict(COMMAND, True)
    lines = [line for line in output.strip().splitlines() if line.strip()]
    said = lines[-1] if lines else "no output"
    return _verdict(COMMAND, False, "CommandFailed", "%s exited with %s: %s" % (argv[0], returncode, said))


def reporting_bookie(snapshot, next_pod):
    """The Ready bookie to ask: the last one on the target version, else any other Ready one."""
    target = (snapshot["cluster"].get("status") or {}).get("targetVersion")
    ready = [
        pod
        for component in snapshot["components"]
        for pod in pods.by_ordinal(component.get("pods") or ())
        if pods.is_ready(pod) and pods.name(pod) != next_pod
    ]
    on_target = [pod for pod in ready if pods.version(pod) == target]
    chosen = (on_target or ready)[-1:] or [None]
    return pods.name(chosen[0]) if chosen[0] is not None else None


def probe_seconds(asked, left):
    """How long a probe may take: what the gate asks for, within what is ``left`` of the run (None: no bound),
    and at least a second, so that a run near its end still gets an answer rather than a refusal to ask."""
    return max(1, min(asked, left)) if left is not None else asked
