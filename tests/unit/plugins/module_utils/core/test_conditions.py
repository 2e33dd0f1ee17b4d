import datetime

import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond
from ansible_collections.bookkeeper.ops.tests.support.factories import at


def stamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def test_format_time_is_rfc3339_utc_with_seconds():
    local = datetime.datetime(2019, 9, 20, 12, 41, 10, 999, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert cond.format_time(local) == "2019-09-20T10:41:10Z"
    assert cond.format_time(datetime.datetime(2019, 9, 20, 10, 41, 10)) == "2019-09-20T10:41:10Z"


@pytest.mark.parametrize("text", ["2019-09-20T10:41:10Z", "2019-09-20T10:41:10.123Z", "2019-09-20T12:41:10+02:00"])
def test_parse_time_reads_rfc3339_forms(text):
    assert cond.format_time(cond.parse_time(text)) == "2019-09-20T10:41:10Z"


@pytest.mark.parametrize("text", ["", None, "yesterday"])
def test_parse_time_returns_none_for_empty_or_unreadable(text):
    assert cond.parse_time(text) is None


def test_defaults_are_added_false_with_empty_timestamps_in_reference_order():
    conditions = cond.with_defaults([])
    assert [c["type"] for c in conditions] == ["Upgrading", "PodsReady", "Error"]
    assert all(c["status"] == "False" and c["lastUpdateTime"] == c["lastTransitionTime"] == "" for c in conditions)
    assert cond.with_defaults(conditions) == conditions


def test_new_condition_has_empty_timestamps_even_when_true():
    conditions = cond.set_condition([], cond.ROLLBACK_IN_PROGRESS, cond.TRUE, at(0))
    assert conditions == [cond.new_condition(cond.ROLLBACK_IN_PROGRESS, cond.TRUE)]


def test_status_flip_sets_both_timestamps():
    before = cond.with_defaults([])
    after = cond.set_condition(before, cond.ERROR, cond.TRUE, at(5), cond.UPGRADE_FAILED, "boom")
    error = cond.find(after, cond.ERROR)
    assert error["lastTransitionTime"] == error["lastUpdateTime"] == cond.format_time(at(5))
    assert (error["reason"], error["message"]) == (cond.UPGRADE_FAILED, "boom")
    assert cond.find(before, cond.ERROR)["status"] == "False", "input must not be mutated"


def test_reason_or_message_change_sets_only_last_update_time():
    conditions = cond.set_condition(cond.with_defaults([]), cond.UPGRADING, cond.TRUE, at(0))
    conditions = cond.set_condition(conditions, cond.UPGRADING, cond.TRUE, at(10), cond.UPDATING, "0")
    conditions = cond.set_condition(conditions, cond.UPGRADING, cond.TRUE, at(20), cond.UPDATING, "1")
    upgrading = cond.find(conditions, cond.UPGRADING)
    assert upgrading["lastTransitionTime"] == cond.format_time(at(0))
    assert upgrading["lastUpdateTime"] == cond.format_time(at(20))


def test_no_change_leaves_timestamps_untouched():
    conditions = cond.set_condition(cond.with_defaults([]), cond.PODS_READY, cond.TRUE, at(0))
    assert cond.set_condition(conditions, cond.PODS_READY, cond.TRUE, at(99)) == conditions


def test_clear_empties_reason_and_message_and_ignores_missing():
    conditions = cond.set_condition(cond.with_defaults([]), cond.ERROR, cond.TRUE, at(0), cond.UPGRADE_FAILED, "x")
    cleared = cond.find(cond.clear(conditions, cond.ERROR, at(9)), cond.ERROR)
    assert (cleared["status"], cleared["reason"], cleared["message"]) == ("False", "", "")
    assert cond.clear(conditions, cond.ROLLBACK_IN_PROGRESS, at(9)) == conditions


@pytest.mark.parametrize(
    "args, allowed",
    [
        (("Ready", "True"), "Upgrading, PodsReady, Error, RollbackInProgress"),
        (("Error", "yes"), "True, False, Unknown"),
    ],
)
def test_unknown_type_or_status_is_refused_naming_the_allowed_values(args, allowed):
    with pytest.raises(ValueError) as raised:
        cond.set_condition([], args[0], args[1], at(0))
    assert allowed in str(raised.value)


def test_is_true_checks_status_and_reason():
    conditions = cond.set_condition(cond.with_defaults([]), cond.ERROR, cond.TRUE, at(0), cond.ROLLBACK_FAILED, "m")
    assert cond.is_true(conditions, cond.ERROR)
    assert cond.is_true(conditions, cond.ERROR, cond.ROLLBACK_FAILED)
    assert not cond.is_true(conditions, cond.ERROR, cond.UPGRADE_FAILED)
    assert not cond.is_true(conditions, cond.ROLLBACK_IN_PROGRESS)


# The four `kubectl describe bk` layouts of the reference's rollback guide, replayed
# through set_condition with the times they show.
MESSAGE = "pod bookkeeper-bookie-0 update failed because of ImagePullBackOff"


def layout(conditions):
    return {
        c["type"]: (c["status"], c["reason"], c["message"], c["lastTransitionTime"], c["lastUpdateTime"])
        for c in conditions
    }


def failed_upgrade():
    conditions = cond.with_defaults([])
    conditions = cond.set_condition(conditions, cond.UPGRADING, cond.TRUE, stamp("2019-09-20T08:58:00Z"))
    conditions = cond.set_condition(conditions, cond.PODS_READY, cond.TRUE, stamp("2019-09-20T08:50:00Z"))
    conditions = cond.set_condition(conditions, cond.PODS_READY, cond.FALSE, stamp("2019-09-20T08:58:40Z"))
    failed_at = stamp("2019-09-20T09:00:13Z")
    conditions = cond.set_condition(conditions, cond.ERROR, cond.TRUE, failed_at, cond.UPGRADE_FAILED, MESSAGE)
    return cond.set_condition(conditions, cond.UPGRADING, cond.FALSE, failed_at)


def test_layout_a_failed_upgrade():
    assert layout(failed_upgrade()) == {
        "Upgrading": ("False", "", "", "2019-09-20T09:00:13Z", "2019-09-20T09:00:13Z"),
        "PodsReady": ("False", "", "", "2019-09-20T08:58:40Z", "2019-09-20T08:58:40Z"),
        "Error": ("True", "UpgradeFailed", MESSAGE, "2019-09-20T09:00:13Z", "2019-09-20T09:00:13Z"),
    }


def test_layout_b_rollback_in_progress_has_no_transition_time():
    conditions = failed_upgrade()
    conditions = cond.set_condition(conditions, cond.ROLLBACK_IN_PROGRESS, cond.TRUE, stamp("2019-09-20T10:41:30Z"))
    conditions = cond.set_condition(conditions, cond.PODS_READY, cond.TRUE, stamp("2019-09-20T10:45:12Z"))
    conditions = cond.set_condition(
        conditions, cond.ROLLBACK_IN_PROGRESS, cond.TRUE, stamp("2019-09-20T10:45:12Z"), cond.UPDATING, "1"
    )
    shown = layout(conditions)
    assert shown["RollbackInProgress"] == ("True", "Updating Bookkeeper", "1", "", "2019-09-20T10:45:12Z")
    assert shown["PodsReady"] == ("True", "", "", "2019-09-20T10:45:12Z", "2019-09-20T10:45:12Z")
    assert shown["Error"][:3] == ("True", "UpgradeFailed", MESSAGE)


def test_layout_c_rollback_done_clears_error_and_rollback():
    conditions = failed_upgrade()
    conditions = cond.set_condition(conditions, cond.ROLLBACK_IN_PROGRESS, cond.TRUE, stamp("2019-09-20T09:40:00Z"))
    conditions = cond.set_condition(conditions, cond.ROLLBACK_IN_PROGRESS, cond.FALSE, stamp("2019-09-20T09:50:57Z"))
    conditions = cond.clear(conditions, cond.ERROR, stamp("2019-09-20T10:07:19Z"))
    shown = layout(conditions)
    assert shown["Error"] == ("False", "", "", "2019-09-20T10:07:19Z", "2019-09-20T10:07:19Z")
    assert shown["RollbackInProgress"] == ("False", "", "", "2019-09-20T09:50:57Z", "2019-09-20T09:50:57Z")


def test_layout_d_rollback_failed_keeps_the_error_transition_time():
    conditions = failed_upgrade()
    conditions = cond.set_condition(conditions, cond.ROLLBACK_IN_PROGRESS, cond.TRUE, stamp("2019-09-20T09:46:00Z"))
    failed_at = stamp("2019-09-20T09:50:57Z")
    conditions = cond.set_condition(conditions, cond.ERROR, cond.TRUE, failed_at, cond.ROLLBACK_FAILED, MESSAGE)
    conditions = cond.set_condition(conditions, cond.ROLLBACK_IN_PROGRESS, cond.FALSE, failed_at)
    shown = layout(conditions)
    assert shown["Error"] == ("True", "RollbackFailed", MESSAGE, "2019-09-20T09:00:13Z", "2019-09-20T09:50:57Z")
    assert shown["RollbackInProgress"] == ("False", "", "", "2019-09-20T09:50:57Z", "2019-09-20T09:50:57Z")
