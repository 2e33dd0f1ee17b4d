"""tests/support/audit.py counts the collection's API requests from the API server's audit log.

fixtures/audit.log was recorded on the local control plane: in namespace bench-audit, a read by the
collection at 12:35:24, then from 12:35:25 on a list, a watch, a pod proxy call and an eviction (User-Agent
bookkeeper-ops), among requests of kubectl (one of them a watch), the controllers and kwok.
"""

import datetime
import pathlib

from ansible_collections.bookkeeper.ops.tests.support import audit
from ansible_collections.bookkeeper.ops.tests.support.kubectl import Kubectl

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ENTRIES = audit.parse((FIXTURES / "audit.log").read_text().splitlines())
SINCE = datetime.datetime(2026, 11, 28, 12, 35, 25, tzinfo=datetime.timezone.utc).timestamp()


def ours():
    return [e for e in ENTRIES if e["userAgent"].startswith("bookkeeper-ops/")]


def test_a_watch_and_a_proxy_call_are_logged_twice_and_counted_once():
    stages = {(e["verb"], e["objectRef"].get("subresource"), e["stage"]) for e in ours()}
    assert {("watch", None, "ResponseStarted"), ("watch", None, "ResponseComplete")} <= stages
    assert {("get", "proxy", "ResponseStarted"), ("get", "proxy", "ResponseComplete")} <= stages
    assert audit.requests_by_verb(ENTRIES, SINCE) == {"list": 1, "watch": 1, "get": 1, "create": 1}


def test_requests_are_counted_from_the_moment_given_to_the_microsecond():
    assert audit.requests_by_verb(ENTRIES, 0) == {"list": 1, "watch": 1, "get": 2, "create": 1}
    listed = audit.received(next(e for e in ours() if e["verb"] == "list"))
    assert audit.requests_by_verb(ENTRIES, listed)["list"] == 1
    assert audit.requests_by_verb(ENTRIES, listed + 1e-6)["list"] == 0


def test_the_user_agent_given_picks_the_client():
    counts = audit.requests_by_verb(ENTRIES, 0, user_agent="kubectl/")
    assert counts == {"create": 2, "get": 1, "list": 2, "watch": 1}


def test_the_collections_writes_and_evictions_are_picked_out():
    writes = audit.collection_writes(ENTRIES)
    assert [(e["verb"], e["objectRef"].get("subresource")) for e in writes] == [("create", "eviction")]
    assert audit.evicted(ENTRIES, "bench-audit") == {writes[0]["objectRef"]["name"]: 1}
    assert audit.evicted(ENTRIES, "elsewhere") == {}


def test_a_mark_cuts_the_log_at_a_line_and_leaves_out_the_line_it_cuts(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    text = (FIXTURES / "audit.log").read_text()
    (logs / "audit.log").write_text(text)
    log = audit.AuditLog(Kubectl(tmp_path / "kubeconfig.yaml"))
    lines = text.splitlines(keepends=True)
    third = len("".join(lines[:3]))
    assert log.requests(third) == ENTRIES[3:]
    assert log.requests(third + 1) == ENTRIES[4:], "the fourth line, cut by the mark, was logged before it"
    assert log.requests(0, third) == ENTRIES[:3]
    assert log.requests() == ENTRIES
