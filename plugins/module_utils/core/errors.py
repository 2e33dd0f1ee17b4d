# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Every failure the collection reports, under one root, and how an API error becomes one.

``BookkeeperOpsError`` is the root: module.execute catches it once and reads
what the user should know from the subclass (a refusal changed nothing, a
failed run carries its result, a retryable error may pass on a rerun). Plain
Python, no Kubernetes client: the fake adapter of the unit tests raises the
same types as the real one.
"""

__metaclass__ = type

import json

# Statuses the API server may answer with for a while and then answer properly.
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))


class BookkeeperOpsError(Exception):
    """A failure to show the user; ``retryable`` when a rerun may succeed."""

    retryable = False


class Refused(BookkeeperOpsError):
    """A request the cluster's state or the options do not allow; nothing was written."""


class VersionError(Refused, ValueError):
    """A version string that cannot be used; the message says why."""


class RunFailed(BookkeeperOpsError):
    """The run ended in a failure recorded on the cluster (UpgradeFailed, RollbackFailed, a refusal)."""

    def __init__(self, message, result):
        super(RunFailed, self).__init__(message)
        self.result = result


class TimedOut(BookkeeperOpsError):
    """The run's timeout passed before the rollout ended; ``result`` is what it had reached (or None).

    Not an API failure: the cluster answered, the rollout was slower than the time given. A rerun resumes it.
    """

    retryable = True

    def __init__(self, message, result=None):
        super(TimedOut, self).__init__(message)
        self.result = result


class HelmError(BookkeeperOpsError):
    """Helm's history could not be read, or ``helm rollback`` failed."""


class KubeError(BookkeeperOpsError):
    """The API server, or the connection to it, failed.

    ``status`` is the HTTP status when there was an answer, with its ``reason`` and ``body`` (text); without an
    answer, ``reason`` says what happened to the connection.
    """

    def __init__(self, message, retryable=False, status=None, reason=""):
        super(KubeError, self).__init__(message)
        self.retryable = retryable
        self.status = status
        self.reason = reason
        self.body = ""  # api_error sets the answer's text


class LeaseHeld(KubeError):
    """Another run holds the cluster's Lease."""

    def __init__(self, message):
        super(LeaseHeld, self).__init__(message, retryable=True, status=409)


class Conflict(KubeError):
    """The object changed since it was read: observe again and decide again."""


class NotFound(KubeError):
    """The object does not exist; ``kind`` is the plural the API server named (empty for an unknown type)."""

    def __init__(self, message, reason="", kind=""):
        super(NotFound, self).__init__(message, status=404, reason=reason)
        self.kind = kind


def _body(exception):
    try:
        body = json.loads(exception.body)
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def reason_of(exception):
    """The API server's own words for an ApiException (its Status message), else the HTTP reason."""
    return _body(exception).get("message") or exception.reason or str(exception)


def is_transient(exception):
    """Whether an ApiException may go away by itself; a schema error that comes back as a 500 will not."""
    if not exception.status:
        return True
    return exception.status in TRANSIENT_STATUSES and "failed to create typed patch object" not in reason_of(exception)


def api_error(exception, what):
    """The typed error for an ApiException (read by its attributes) raised while doing ``what``."""
    error = _typed(exception, what)
    body = exception.body
    error.body = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    return error


def _typed(exception, what):
    status, reason = exception.status, reason_of(exception)
    if status == 401:
        return KubeError(
            "%s: the API server refused the credentials (401 Unauthorized); check the token, certificate or "
            "kubeconfig, and whether the token has expired" % what,
            status=status,
            reason=reason,
        )
    if status == 403:
        return KubeError("%s: forbidden by the API server (403): %s" % (what, reason), status=status, reason=reason)
    if status == 404:
        details = _body(exception).get("details")
        kind = details.get("kind") if isinstance(details, dict) else ""
        return NotFound("%s: %s (HTTP 404)" % (what, reason), reason=reason, kind=kind or "")
    retryable = is_transient(exception) or status == 409
    message = "%s: %s (HTTP %s)%s" % (what, reason, status, "; retryable, run again" if retryable else "")
    if status == 409:
        return Conflict(message, retryable=True, status=status, reason=reason)
    return KubeError(message, retryable, status=status, reason=reason)


def unanswered(what, *, server, attempts, seconds, failure=None):
    """The error for a request the API server at ``server`` never answered (refused, reset, timed out), after
    ``attempts`` over ``seconds``; ``failure`` is the last attempt's (None when no attempt had time left)."""
    if failure is None and not attempts:
        said = "no time was left in the run to ask the API server at %s" % server
    else:
        said = "the API server at %s did not answer in %.0f s (%d attempt%s; the last: %s)" % (
            server,
            seconds,
            attempts,
            "" if attempts == 1 else "s",
            failure,
        )
    return KubeError(
        "%s: %s; retryable, run again" % (what, said),
        retryable=True,
        reason=str(failure or "no time left"),
    )
