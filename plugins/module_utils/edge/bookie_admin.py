# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Data-plane mode's I/O: asks the bookies' admin API through the pod proxy, within the run's time left, and hands
the answers to core/data_plane.py, which reads them and decides."""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.health import probe_seconds, reporting_bookie

DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 10


def _settings(api, snapshot):
    spec = (snapshot.get("data_plane") or {}).get("spec") or {}
    return spec.get("port") or DEFAULT_PORT, probe_seconds(spec.get("timeout") or DEFAULT_TIMEOUT, api.seconds_left())


def observe(api, snapshot, pod_name):
    """One observation of the data plane around ``pod_name``: the cluster's writable and read-only bookies and
    autorecovery, as another Ready bookie sees them (or the pod itself when none is), and the pod's own state."""
    port, timeout = _settings(api, snapshot)
    asked = reporting_bookie(snapshot, pod_name) or pod_name
    observed = {"pod": pod_name, "asked": asked, "missing": {}, "failed": {}}
    questions = (
        ("writable", asked, data_plane.WRITABLE_PATH, None),
        ("read_only", asked, data_plane.READ_ONLY_PATH, None),
        ("autorecovery", asked, data_plane.AUTORECOVERY_PATH, "enabled"),
        ("pod_read_only", pod_name, data_plane.STATE_PATH, "readOnly"),
    )
    for what, bookie, path, field in questions:
        outcome, value = data_plane.answer(*api.proxy_get(bookie, port, path, timeout), field=field)
        observed[what] = value if outcome == "ok" else None
        if outcome != "ok":
            observed[outcome][what] = "bookie %s: %s" % (bookie, value)
    return observed


def change(api, snapshot, effect):
    """Make ``effect`` on its bookie; returns why it was not made, or ""."""
    port, timeout = _settings(api, snapshot)
    path, body = data_plane.change_request(effect)
    return data_plane.change_verdict(effect, *api.proxy_put(effect["pod"], port, path, body, timeout))
