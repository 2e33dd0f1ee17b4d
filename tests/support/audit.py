"""The API server's audit log of a local control plane, read back (scripts/cluster/audit-policy.yaml logs it).

What the collection sent is read where it arrived, not from the collection's own account of it: the tests check
that refused input writes nothing, the drills count evictions, the benchmarks count requests by verb.
"""

import collections
import datetime
import json
import pathlib
import uuid

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import resource
from ansible_collections.bookkeeper.ops.tests.support.wait import wait_for

# Every User-Agent of the collection starts so: its modules' (resource.USER_AGENT) and its progress display's.
AGENT = resource.FIELD_MANAGER
MUTATING = frozenset(("create", "update", "patch", "delete", "deletecollection"))


class AuditLog:
    """The audit log of the plane ``kubectl`` administers: marks in it, and the requests logged between two."""

    def __init__(self, kubectl):
        self.kubectl = kubectl
        self.directory = pathlib.Path(kubectl.kubeconfig).parent / "logs"
        self.path = self.directory / "audit.log"

    def settle(self, namespace):
        """Make a write of our own in ``namespace`` and wait until it is logged, so that every earlier request is.

        Returns a mark: the log's size then.
        """
        marker = "audit-mark-%s" % uuid.uuid4().hex[:12]
        self.kubectl("create", "configmap", marker, "-n", namespace)

        def logged():
            with self.path.open("rb") as log:
                log.seek(max(0, self.path.stat().st_size - 1_000_000))
                return marker.encode() in log.read()

        wait_for("the audit log to show %s" % marker, logged, timeout=30, interval=0.05)
        return self.path.stat().st_size

    def requests(self, since=None, until=None):
        """The entries logged from mark ``since`` to mark ``until`` (the end of the log when None).

        Without ``since``, the whole log, its rotated parts first: marks are offsets in the current part only.
        """
        if since is None:
            # audit-<time>.log, the rotated parts, sort before audit.log.
            parts = sorted(self.directory.glob("audit*.log"))
            return parse(line for part in parts for line in part.read_text().splitlines())
        with self.path.open("rb") as log:
            log.seek(max(0, since - 1))
            data = log.read() if until is None else log.read(until - since + 1)
        text = data.decode("utf-8", "replace")
        if since and not text.startswith("\n"):
            text = text.split("\n", 1)[-1]  # a line cut by the mark was logged before it
        return parse(text.splitlines())


def parse(lines):
    """The entries of audit log ``lines``; a line still being written is left out."""
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def namespace_of(entry):
    return (entry.get("objectRef") or {}).get("namespace")


def user_of(entry):
    return (entry.get("user") or {}).get("username", "")


def collection_writes(entries):
    """The mutating requests the collection sent, by its User-Agent."""
    return [e for e in entries if e.get("userAgent", "").startswith(AGENT) and e.get("verb") in MUTATING]


def described(entry):
    """``verb URI (HTTP code)``: a request as an assertion's message shows it."""
    return "%s %s (HTTP %s)" % (entry["verb"], entry["requestURI"], entry["responseStatus"]["code"])


def evictions(entries, namespace):
    """The eviction requests for pods of ``namespace``, whoever sent them."""
    return [
        entry
        for entry in entries
        if (entry.get("objectRef") or {}).get("subresource") == "eviction" and namespace_of(entry) == namespace
    ]


def evicted(entries, namespace):
    """Successful evictions by the collection in ``namespace``: pod name -> how many."""
    return collections.Counter(
        entry["objectRef"]["name"]
        for entry in evictions(entries, namespace)
        if entry.get("userAgent", "").startswith(AGENT) and entry.get("responseStatus", {}).get("code", 500) < 300
    )


def received(entry):
    """When the API server received the request of an audit entry, in epoch seconds."""
    stamp = datetime.datetime.strptime(entry["requestReceivedTimestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def requests_by_verb(entries, since, user_agent=resource.USER_AGENT):
    """Requests by verb sent by ``user_agent`` and received at ``since`` (epoch seconds) or later.

    A long-running request (a watch, a pod proxy call) has two entries, one when its response starts and one when
    it completes, with one audit ID: each ID is one request.
    """
    verbs = {}
    for entry in entries:
        if entry.get("userAgent", "").startswith(user_agent) and received(entry) >= since:
            verbs[entry["auditID"]] = entry["verb"]
    return collections.Counter(verbs.values())


def first_write(entries, since, user_agent=resource.USER_AGENT):
    """Seconds from ``since`` (epoch seconds) to the first mutating request of ``user_agent``."""
    return min(
        received(entry) - since
        for entry in entries
        if entry.get("userAgent", "").startswith(user_agent) and entry["verb"] in MUTATING and received(entry) >= since
    )
