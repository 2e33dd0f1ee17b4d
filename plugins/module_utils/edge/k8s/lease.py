# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The Lease that keeps two runs from driving one cluster at once.

Its holder names host, process and a random part, so that a run on this host
whose process is gone (killed, or a zombie) does not block the next run
until the Lease expires.
"""

__metaclass__ = type

import datetime
import os
import socket
import uuid

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, resource

try:
    from kubernetes import client as k8s
except ImportError:  # connection.KUBERNETES_IMPORT_ERROR reports it
    pass

SECONDS = 30


def identity():
    """Who holds a Lease: host, process and a random part, so a killed run can be recognised."""
    return "%s/%d/%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])


def holder_is_dead(holder):
    """True when ``holder`` names a process of this host that is gone (or a zombie left by a kill)."""
    parts = (holder or "").split("/")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        with open("/proc/%s/stat" % parts[1]) as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except (OSError, IndexError):
        pass
    try:
        os.kill(int(parts[1]), 0)
    except OSError:
        return True
    return False


class Lease:
    """The Lease of one cluster, taken, renewed and released by ``holder``."""

    def __init__(self, client, door, cluster_name, namespace, holder=None):
        self.door = door  # an http_door.Door
        self.coordination = k8s.CoordinationV1Api(client)
        self.cluster_name = cluster_name
        self.namespace = namespace
        self.name = resource.lease_name(cluster_name)
        self.holder = holder or identity()
        self.renewed = None

    def _what(self, doing):
        return "%s Lease %s/%s" % (doing, self.namespace, self.name)

    def _body(self, now, existing=None):
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = existing or {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"bookkeeper_cluster": self.cluster_name},
            },
            "spec": {},
        }
        held_by_me = body["spec"].get("holderIdentity") == self.holder
        body["spec"].update(holderIdentity=self.holder, leaseDurationSeconds=SECONDS, renewTime=stamp)
        if not held_by_me:
            body["spec"]["acquireTime"] = stamp
        return body

    def read(self):
        """The Lease as a dict, or None when there is none."""
        try:
            return self.door.read(
                self._what("reading"), self.coordination.read_namespaced_lease, self.name, self.namespace
            )
        except errors.NotFound:
            return None

    def _holder(self, lease):
        return ((lease or {}).get("spec") or {}).get("holderIdentity")

    def acquire(self, now):
        """Take the Lease, or raise LeaseHeld naming the run that holds it."""
        lease = self.read()
        try:
            if lease is None:
                self.door.request(
                    self._what("taking"), self.coordination.create_namespaced_lease, self.namespace, self._body(now)
                )
            else:
                spec = lease.get("spec") or {}
                holder = spec.get("holderIdentity")
                renewed = cond.parse_time(spec.get("renewTime"))
                expires = (
                    renewed + datetime.timedelta(seconds=spec.get("leaseDurationSeconds") or SECONDS)
                    if renewed
                    else None
                )
                if holder and holder != self.holder and expires and expires > now and not holder_is_dead(holder):
                    raise errors.LeaseHeld(self._held_message(holder, expires))
                self.door.request(
                    self._what("taking"),
                    self.coordination.replace_namespaced_lease,
                    self.name,
                    self.namespace,
                    self._body(now, lease),
                )
        except errors.Conflict as conflict:
            # Another run wrote it between our read and our write, unless a retried write of ours had.
            holder = self._holder(self.read())
            if holder != self.holder:
                raise errors.LeaseHeld(self._held_message(holder, None)) from conflict
        self.renewed = now

    def _held_message(self, holder, expires):
        return (
            "BookkeeperCluster %s/%s is being driven by another run (%s), which holds Lease %s%s; wait for it to "
            "finish, or for the lease to expire if that run was stopped"
            % (
                self.namespace,
                self.cluster_name,
                holder,
                self.name,
                " until %s" % cond.format_time(expires) if expires else "",
            )
        )

    def renew(self, now):
        if self.renewed is None or (now - self.renewed).total_seconds() < SECONDS / 3.0:
            return
        lease = self.read()
        if self._holder(lease) != self.holder:
            raise errors.KubeError("lost Lease %s/%s to another run; stopping" % (self.namespace, self.name), True)
        self.door.request(
            self._what("renewing"),
            self.coordination.replace_namespaced_lease,
            self.name,
            self.namespace,
            self._body(now, lease),
        )
        self.renewed = now

    def release(self):
        if self.renewed is None:
            return
        lease = self.read()
        self.renewed = None
        if self._holder(lease) != self.holder:
            return
        options = k8s.V1DeleteOptions(
            preconditions=k8s.V1Preconditions(resource_version=lease["metadata"]["resourceVersion"])
        )
        try:
            self.door.request(
                self._what("releasing"),
                self.coordination.delete_namespaced_lease,
                self.name,
                self.namespace,
                body=options,
            )
        except (errors.NotFound, errors.Conflict):
            pass  # gone already, or taken over after it expired
