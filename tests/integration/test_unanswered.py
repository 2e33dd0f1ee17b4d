"""An API server address that accepts the connection and never answers: every entry point fails within a minute.

A half-open link, a stuck proxy, a load balancer whose backend is gone or an API server paused by its host all look
the same from the client: the TCP connection is accepted, and nothing comes back (over HTTPS, not even the TLS
handshake). Each entry point is run as its user runs it, ``ansible localhost -m bookkeeper.ops.<module>`` and
``ansible-inventory`` with the inventory plugin, against a listener that accepts and never writes; each must fail in
under 60 s, its message naming the address and what was being done. The eight runs go concurrently, so the file
costs about one run's time.
"""

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.bookkeeper.ops.tests.support.processes import kill_tree

pytestmark = pytest.mark.integration

BIN = os.path.dirname(sys.executable)
LIMIT = 60


@pytest.fixture(scope="module")
def silent_address():
    """host:port of a listener that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(
        KUBECONFIG="/nonexistent",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    return env


def module_command(module, arguments):
    return [os.path.join(BIN, "ansible"), "localhost", "-m", "bookkeeper.ops.%s" % module, "-a", arguments]


def inventory_command(tmp_path, server):
    config = tmp_path / ("%s.bk_clusters.yml" % server.split(":")[0])
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        "plugin: bookkeeper.ops.bk_clusters\nconnections:\n  - name: silent\n    host: %s\n"
        "    validate_certs: false\n" % server
    )
    return [os.path.join(BIN, "ansible-inventory"), "-i", str(config), "--list"]


def timed(command, extra_env):
    """(seconds, output) of ``command``, killed after twice LIMIT so that a hang fails the test rather than CI."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(environment(), **extra_env),
        start_new_session=True,
    )
    try:
        output, _unused = process.communicate(timeout=2 * LIMIT)
    except subprocess.TimeoutExpired:
        kill_tree(process.pid)
        output, _unused = process.communicate()
        output = "STILL RUNNING after %d s: %s" % (2 * LIMIT, output)
    return time.monotonic() - started, output


def cases(tmp_path, address):
    """(label, command, environment, what the message must say was being done) for each entry point and scheme."""
    for scheme in ("http", "https"):
        server = "%s://%s" % (scheme, address)
        common = "name=bk namespace=ns host=%s api_key=secret-token validate_certs=false" % server
        yield scheme, "bk_status", module_command("bk_status", common), {}, "reading BookkeeperCluster ns/bk"
        yield (
            scheme,
            "bk_upgrade",
            module_command("bk_upgrade", common + " version=0.14.0 timeout=600"),
            {},
            "reading BookkeeperCluster ns/bk",
        )
        yield (
            scheme,
            "bk_rollback",
            module_command("bk_rollback", common + " timeout=600"),
            {},
            "reading BookkeeperCluster ns/bk",
        )
        yield (
            scheme,
            "bk_clusters inventory",
            inventory_command(tmp_path / scheme, server),
            {"K8S_AUTH_API_KEY": "secret-token", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"},
            "listing the BookkeeperClusters of connection silent",
        )


def test_every_entry_point_fails_within_a_minute_naming_the_address_and_what_it_was_doing(tmp_path, silent_address):
    runs = list(cases(tmp_path, silent_address))
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        outcomes = list(pool.map(lambda run: timed(run[2], run[3]), runs))
    problems = []
    for (scheme, entry, _command, _env, doing), (seconds, output) in zip(runs, outcomes):
        print("%-22s %-5s failed after %4.1f s" % (entry, scheme, seconds))
        said = "%s over %s (%.0f s): %s" % (entry, scheme, seconds, output[-1500:])
        expected = "%s: the API server at %s://%s did not answer in" % (doing, scheme, silent_address)
        if seconds >= LIMIT:
            problems.append("too slow: " + said)
        if expected not in output.replace("\\n", " ") or "retryable" not in output:
            problems.append("message: " + said)
        if "secret-token" in output:
            problems.append("token shown: " + said)
        if entry != "bk_clusters inventory" and '"retryable": true' not in output:
            problems.append("not marked retryable: " + said)
    assert not problems, json.dumps(problems, indent=1)
