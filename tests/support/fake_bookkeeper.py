"""BookKeeper's admin API in memory, as the bookies of a FakeAPI answer it through the pod proxy."""

import json

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import data_plane, pods

NOT_FOUND = (404, "<html><body><h1>Resource not found</h1></body></html>")


class FakeBookKeeper:
    """The Ready pods of ``api`` are its bookies, writable unless set read-only; ``extra`` bookies outside the
    StatefulSet are writable too. A replaced bookie starts writable. ``missing``: paths no bookie answers."""

    def __init__(self, api, autorecovery=True, extra=0, missing=()):
        self.api = api
        self.autorecovery = autorecovery
        self.extra = ["outside-%d" % n for n in range(extra)]
        self.missing = set(missing)
        self.read_only = set()
        self.puts = []  # (seconds, pod, path, body)

    def ready(self):
        return [pods.name(p) for p in self.api.fake.pods if pods.is_ready(p)]

    def get(self, pod_name, port, path, timeout):
        if pod_name not in self.ready():
            return 503, "error trying to reach service: connection refused"
        if path.split("?")[0] in self.missing:
            return NOT_FOUND
        if path == data_plane.WRITABLE_PATH:
            ids = [name for name in self.ready() if name not in self.read_only] + self.extra
            return 200, json.dumps(dict.fromkeys(ids))
        if path == data_plane.READ_ONLY_PATH:
            return 200, json.dumps(dict.fromkeys(name for name in self.ready() if name in self.read_only))
        if path == data_plane.AUTORECOVERY_PATH:
            return 200, json.dumps({"enabled": self.autorecovery})
        if path == data_plane.STATE_PATH:
            return 200, json.dumps({"readOnly": pod_name in self.read_only})
        return NOT_FOUND

    def put(self, pod_name, port, path, body, timeout):
        """As BookKeeper 4.16 and 4.17 take them: autorecovery's ``enabled`` in the query, the state as a JSON
        object (the client sends a dict as one; a str would be a JSON string)."""
        if pod_name not in self.ready():
            return 503, "error trying to reach service: connection refused"
        path, query = (path.split("?", 1) + [""])[:2]
        if path in self.missing:
            return NOT_FOUND
        if path == data_plane.AUTORECOVERY_PATH:
            if query not in ("enabled=true", "enabled=false"):
                return 400, "Param 'enabled' not found in {}"
            body = {"enabled": query == "enabled=true"}
            self.autorecovery = body["enabled"]
        elif not isinstance(body, dict):
            return 500, "Internal Server Error"
        elif body["readOnly"]:
            self.read_only.add(pod_name)
        else:
            self.read_only.discard(pod_name)
        self.puts.append((self.api.seconds, pod_name, path, dict(body)))
        self.api.writes.append(("put", pod_name, path, dict(body)))
        return 200, ""

    def replaced(self, pod_name):
        """A new bookie process: it starts writable."""
        self.read_only.discard(pod_name)
