# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Condition list semantics of a BookkeeperCluster status.

Types, reasons and timestamp rules are those of the reference operator, so that
dashboards and runbooks written for it keep working:

* a condition that is added gets empty timestamps;
* a change of status sets both lastTransitionTime and lastUpdateTime to now;
* a change of reason or message alone sets lastUpdateTime to now;
* no change leaves both untouched.

Every function returns a new list and never mutates its input.
"""

__metaclass__ = type

import copy
import datetime

PODS_READY = "PodsReady"
UPGRADING = "Upgrading"
ROLLBACK_IN_PROGRESS = "RollbackInProgress"
ERROR = "Error"
# Not in the reference: True while a health gate holds a rollout, so that every
# condition but PodsReady is False on a healthy, idle cluster.
HEALTH_CHECK_FAILING = "HealthCheckFailing"
TYPES = (UPGRADING, PODS_READY, ERROR, ROLLBACK_IN_PROGRESS, HEALTH_CHECK_FAILING)
# Added as False by every reconcile; RollbackInProgress appears at the first rollback.
DEFAULT_TYPES = (UPGRADING, PODS_READY, ERROR)

UPDATING = "Updating Bookkeeper"
UPGRADE_FAILED = "UpgradeFailed"
ROLLBACK_FAILED = "RollbackFailed"
REASONS = ("", UPDATING, UPGRADE_FAILED, ROLLBACK_FAILED)

TRUE = "True"
FALSE = "False"
STATUSES = (TRUE, FALSE, "Unknown")
# The fields of a condition. The reference leaves out the empty ones but type and status (omitempty).
FIELDS = ("type", "status", "reason", "message", "lastUpdateTime", "lastTransitionTime")

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_time(moment):
    """RFC3339 in UTC with whole seconds, as the reference writes timestamps."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.strftime(_FORMAT)


def parse_time(text):
    """The UTC datetime of an RFC3339 timestamp, or None when it is empty or unreadable."""
    if not text:
        return None
    for pattern in (_FORMAT, "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            moment = datetime.datetime.strptime(text, pattern)
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.astimezone(datetime.timezone.utc)
    return None


def find(conditions, condition_type):
    for condition in conditions or ():
        if condition.get("type") == condition_type:
            return condition
    return None


def complete(condition):
    """A copy of the condition with every field present, empty when the stored one leaves it out."""
    result = dict.fromkeys(FIELDS, "")
    result.update((key, value) for key, value in condition.items() if value is not None)
    return result


def is_true(conditions, condition_type, reason=None):
    condition = find(conditions, condition_type)
    if condition is None or condition.get("status") != TRUE:
        return False
    return reason is None or condition.get("reason", "") == reason


def new_condition(condition_type, status=FALSE, reason="", message=""):
    return {
        "type": condition_type,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": "",
        "lastTransitionTime": "",
    }


def with_defaults(conditions):
    """The list with PodsReady, Upgrading and Error added as False where missing."""
    result = copy.deepcopy(list(conditions or []))
    for condition_type in DEFAULT_TYPES:
        if find(result, condition_type) is None:
            result.append(new_condition(condition_type))
    return result


def set_condition(conditions, condition_type, status, now, reason="", message=""):
    """The list with one condition set, following the reference's timestamp rules."""
    if condition_type not in TYPES:
        raise ValueError("unknown condition type %r; allowed: %s" % (condition_type, ", ".join(TYPES)))
    if status not in STATUSES:
        raise ValueError("unknown condition status %r; allowed: %s" % (status, ", ".join(STATUSES)))
    result = copy.deepcopy(list(conditions or []))
    current = find(result, condition_type)
    if current is None:
        result.append(new_condition(condition_type, status, reason, message))
        return result
    stamp = format_time(now)
    if current.get("status") != status:
        current.update(status=status, reason=reason, message=message, lastUpdateTime=stamp, lastTransitionTime=stamp)
    elif current.get("reason", "") != reason or current.get("message", "") != message:
        current.update(reason=reason, message=message, lastUpdateTime=stamp)
    return result


def clear(conditions, condition_type, now):
    """The condition set to False with reason and message emptied, if it exists."""
    if find(conditions, condition_type) is None:
        return copy.deepcopy(list(conditions or []))
    return set_condition(conditions, condition_type, FALSE, now)
