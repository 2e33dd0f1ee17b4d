"""bench/rollout.py counts the collection's API requests from the API server's audit log.

fixtures/audit.log was recorded on the local control plane: in namespace bench-audit, a read by the
collection at 12:35:24, then from 12:35:25 on a list, a watch, a pod proxy call and an eviction (User-Agent
bookkeeper-ops), among requests of kubectl (one of them a watch), the controllers and kwok.
"""

import datetime
import json
import pathlib

from ansible_collections.bookkeeper.ops.bench import rollout

LINES = (pathlib.Path(__file__).parent / "fixtures" / "audit.log").read_text().splitlines()
SINCE = datetime.datetime(2026, 11, 28, 12, 35, 25, tzinfo=datetime.timezone.utc).timestamp()


def test_a_watch_and_a_proxy_call_are_logged_twice_and_counted_once():
    ours = [json.loads(line) for line in LINES if '"userAgent":"bookkeeper-ops/' in line]
    stages = {(e["verb"], e["objectRef"].get("subresource"), e["stage"]) for e in ours}
    assert {("watch", None, "ResponseStarted"), ("watch", None, "ResponseComplete")} <= stages
    assert {("get", "proxy", "ResponseStarted"), ("get", "proxy", "ResponseComplete")} <= stages
    assert rollout.requests_by_verb(LINES, SINCE) == {"list": 1, "watch": 1, "get": 1, "create": 1}


def test_requests_are_counted_from_the_moment_given_to_the_microsecond():
    assert rollout.requests_by_verb(LINES, 0) == {"list": 1, "watch": 1, "get": 2, "create": 1}
    ours = [json.loads(line) for line in LINES if '"userAgent":"bookkeeper-ops/' in line]
    listed = rollout.received(next(e for e in ours if e["verb"] == "list"))
    assert rollout.requests_by_verb(LINES, listed)["list"] == 1
    assert rollout.requests_by_verb(LINES, listed + 1e-6)["list"] == 0


def test_the_user_agent_given_picks_the_client():
    counts = rollout.requests_by_verb(LINES, 0, user_agent="kubectl/")
    assert counts == {"create": 2, "get": 1, "list": 2, "watch": 1}
