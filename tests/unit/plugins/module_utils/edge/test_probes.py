"""The health gate's probes, run against the fake adapter, a local command and a local HTTP server."""

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge import probes
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI


def test_command_check_runs_with_the_cluster_in_its_environment():
    api = FakeAPI("0.14.0")
    api.namespace = "pravega"
    spec = {
        "type": "command",
        "command": ["sh", "-c", 'echo "checked $BK_CLUSTER/$BK_NAMESPACE before $BK_NEXT_POD"; exit 3'],
    }
    verdict = probes.run(spec, api, api.observe(), "bk-bookie-1")
    assert verdict == {
        "check": "command",
        "passed": False,
        "reason": "CommandFailed",
        "message": "sh exited with 3: checked bk/pravega before bk-bookie-1",
    }
    assert probes.run({"type": "command", "command": ["true"]}, api, api.observe(), "bk-bookie-1")["passed"]
    missing = probes.run({"type": "command", "command": ["/nonexistent/check"]}, api, api.observe(), "bk-bookie-0")
    assert missing["passed"] is False and "/nonexistent/check exited with an error" in missing["message"]


def test_bookkeeper_check_asks_a_ready_bookie_other_than_the_next_one():
    api = FakeAPI("0.14.0")
    asked = []

    def proxy_get(pod, port, path, timeout):
        asked.append((pod, port, path))
        return 404, "No under replicated ledgers found"

    api.proxy_get = proxy_get
    assert probes.run({"type": "bookkeeper", "port": 8080}, api, api.observe(), "bk-bookie-2")["passed"]
    assert asked == [("bk-bookie-1", 8080, health.UNDER_REPLICATED_PATH)]


def test_http_check_gets_the_url_with_the_cluster_and_pod_filled_in():
    import http.server
    import threading

    asked = []

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            asked.append(self.path)
            self.send_response(200 if self.path.endswith("bk-bookie-0") else 503)
            self.end_headers()
            self.wfile.write(b"ledgers under-replicated")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Probe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = FakeAPI("0.14.0")
        api.namespace = "pravega"
        url = "http://127.0.0.1:%d/ready/{namespace}/{cluster}/{pod}" % server.server_port
        spec = {"type": "http", "url": url, "timeout": 5}
        assert probes.run(spec, api, api.observe(), "bk-bookie-0")["passed"] is True
        refused = probes.run(spec, api, api.observe(), "bk-bookie-1")
        assert (refused["passed"], refused["reason"]) == (False, "ProbeFailed")
        assert refused["message"].startswith(
            "GET http://127.0.0.1:%d/ready/pravega/bk/bk-bookie-1 answered HTTP 503" % (server.server_port)
        )
    finally:
        server.shutdown()
    assert asked == ["/ready/pravega/bk/bk-bookie-0", "/ready/pravega/bk/bk-bookie-1"]
    unreachable = probes.run({"type": "http", "url": "http://127.0.0.1:9/", "timeout": 2}, api, api.observe(), "x")
    assert unreachable["passed"] is False and "GET http://127.0.0.1:9/ got no answer: " in unreachable["message"]
