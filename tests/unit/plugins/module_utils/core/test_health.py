import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils.core import health, machine
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout import runner
from ansible_collections.bookkeeper.ops.plugins.module_utils.rollout.runner import RolloutOptions
from ansible_collections.bookkeeper.ops.tests.support.fake_api import FakeAPI


@pytest.mark.parametrize(
    "status, body",
    [(404, "No under replicated ledgers found"), (200, "[]"), (200, "{}")],
)
def test_bookkeeper_check_passes_without_under_replicated_ledgers(status, body):
    assert health.bookkeeper_verdict("bk-bookie-1", status, body) == {
        "check": "bookkeeper",
        "passed": True,
        "reason": "",
        "message": "",
    }


def test_bookkeeper_check_names_the_under_replicated_ledgers():
    verdict = health.bookkeeper_verdict("bk-bookie-0", 200, "[%s]" % ",".join(str(n) for n in range(12)))
    assert (verdict["passed"], verdict["reason"]) == (False, "UnderReplicatedLedgers")
    assert verdict["message"] == (
        "12 under-replicated ledger(s) reported by bk-bookie-0: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more"
    )
    by_replica = health.bookkeeper_verdict("bk-bookie-0", 200, '{"7": ["bookie-1:3181"]}')
    assert by_replica["message"] == "1 under-replicated ledger(s) reported by bk-bookie-0: 7"


@pytest.mark.parametrize(
    "status, body, shown",
    [
        (503, "error trying to reach service: dial tcp 10.0.0.4:8000: connect: connection refused", "HTTP 503"),
        (404, '{"kind":"Status","message":"pods \\"x\\" not found"}', "HTTP 404"),
        (200, "<html>not json</html>", "HTTP 200"),
        (0, "", "HTTP none"),
    ],
)
def test_bookkeeper_check_fails_when_the_bookie_cannot_answer(status, body, shown):
    verdict = health.bookkeeper_verdict("bk-bookie-2", status, body)
    assert (verdict["passed"], verdict["reason"]) == (False, "HealthCheckUnreachable")
    assert shown in verdict["message"] and "httpServerEnabled=true" in verdict["message"]


def test_bookkeeper_check_tells_a_bookie_that_cannot_read_its_metadata_from_one_without_admin_server():
    # BookKeeper's own answer when the under-replication marks cannot be read (its admin server is on).
    verdict = health.bookkeeper_verdict("bk-bookie-2", 500, "Exception when get.")
    assert (verdict["passed"], verdict["reason"]) == (False, "HealthCheckUnreachable")
    assert "metadata store" in verdict["message"] and "httpServerEnabled" not in verdict["message"]


def test_long_messages_are_cut_for_the_condition():
    verdict = health.http_verdict("http://probe", 500, "x" * 1000)
    assert verdict["reason"] == "ProbeFailed" and len(verdict["message"]) == health.MESSAGE_LIMIT
    assert health.http_verdict("http://probe", 204, "")["passed"] is True


def test_runner_holds_on_a_failing_gate_then_goes_on():
    api = FakeAPI("0.14.0")
    answers = iter([(200, "[41]")] * 3 + [(404, "No under replicated ledgers found")] * 20)
    api.proxy_get = lambda pod, port, path, timeout: next(answers)
    result = runner.drive(
        api,
        options=RolloutOptions(wait=True, timeout=3600, health={"type": "bookkeeper", "port": 8000}),
        clock=api.clock,
        monotonic=api.monotonic,
    )
    steps = [(s["step"], s["message"]) for s in result["steps"]]
    held = [message for step, message in steps if step == machine.WAIT and "health check" in message]
    assert held == [
        "waiting for health check bookkeeper to pass before replacing pod bk-bookie-0: "
        "1 under-replicated ledger(s) reported by bk-bookie-2: 41"
    ]
    assert [w[1] for w in api.writes if w[0] == "evict"] == ["bk-bookie-0", "bk-bookie-1", "bk-bookie-2"]
    gate_condition = cond.find(api.fake.cr["status"]["conditions"], cond.HEALTH_CHECK_FAILING)
    assert gate_condition["status"] == "False"
    written = [w[1] for w in api.writes if w[0] == "status"]
    assert any(cond.is_true(s["conditions"], cond.HEALTH_CHECK_FAILING) for s in written)


def test_a_probe_takes_what_the_gate_asks_within_the_run_s_time_left():
    assert health.probe_seconds(30, None) == 30, "no run bounds it"
    assert health.probe_seconds(30, 600) == 30
    assert health.probe_seconds(30, 12.5) == 12.5
    assert health.probe_seconds(30, 0) == 1, "a run at its end still gets an answer"
