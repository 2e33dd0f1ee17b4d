# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Data-plane mode: BookKeeper's own admin API around each bookie's replacement.

With the ``data_plane`` option of bk_upgrade and bk_rollback, a rollout:

* pauses autorecovery before its first replacement, if it was on, and turns it
  back on at the end (success, failure, abort; after an automatic rollback
  only once that rollback ends), so that a bookie away for a replacement does
  not have its ledgers copied across the cluster;
* before a Ready bookie goes: checks that the writable bookies other than it
  still cover the largest ensemble in use (else it holds, as the health gate
  does, unless the user accepts the stall), then sets it read-only and waits
  until BookKeeper itself reports it read-only, so that writers move their
  ensembles off it on a live connection;
* before the next bookie and before the end: waits until the replaced bookie
  is writable again (and sets it writable if it came back read-only).

Every change is recorded in ``status.dataPlane`` before or after it is made
(taking away first, giving back after), so a run stopped at any instant is put
right by the next run of bk_upgrade, bk_rollback or bk_status:

    dataPlane:
      autorecoveryPausedAt: <time>    # autorecovery was on, and this tool paused it
      readOnly: <pod>                 # the bookie this tool set read-only, until writable again
      readOnlySince: <time>

This file holds the rules as plain functions over plain data. The snapshot's
``data_plane`` entry is ``{"spec": <the option, or None>, "observed": {pod:
observation}}``, an observation of a bookie being made when the core asks for
it; ``edge/bookie_admin.py`` makes the observations and the changes. One::

    {"pod": <the bookie it concerns>, "asked": <the bookie that answered for the cluster>,
     "writable": [bookie ids] | None, "read_only": [bookie ids] | None,
     "autorecovery": True | False | None, "pod_read_only": True | False | None,
     "missing": {what: "HTTP 404 ..."},      # endpoints the bookies do not have: the documented fallbacks
     "failed": {what: "why"}}                # answers that did not come: the rollout waits
"""

__metaclass__ = type

import json

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import conditions as cond

# Decision kinds (and effect types) of data-plane mode.
OBSERVE = "observe_data_plane"
PAUSE_AUTORECOVERY = "pause_autorecovery"
RESUME_AUTORECOVERY = "resume_autorecovery"
SET_READ_ONLY = "set_read_only"
SET_WRITABLE = "set_writable"
KINDS = (PAUSE_AUTORECOVERY, RESUME_AUTORECOVERY, SET_READ_ONLY, SET_WRITABLE)
# Effects that take something away are recorded in the status before they are made; the others after.
RECORDED_FIRST = frozenset((PAUSE_AUTORECOVERY, SET_READ_ONLY))

# The HealthCheckFailing reason of the capacity hold.
WRITERS_WOULD_STALL = "WritersWouldStall"
DATA_PLANE_UNANSWERED = "DataPlaneUnanswered"
# The default of ensemble_size: BookKeeper's default ensemble, and Pravega's segment store's.
DEFAULT_ENSEMBLE = 3
# How long a bookie asked to turn read-only may take before it is replaced as the plain rollout would.
DEFAULT_READ_ONLY_SECONDS = 30
# The grace period of a read-only bookie's eviction. Its writers have left it and every entry it acknowledged is in
# its synced journal; what a bookie spends longer on after SIGTERM is the shutdown of the autorecovery it embeds
# (autoRecoveryDaemonEnabled), which waits up to 10 s for the auditor elector and 30 s for the auditor
# (docs/performance.md).
DEFAULT_SHUTDOWN_SECONDS = 2

# The admin API's paths, the same on BookKeeper 4.16 and 4.17 (read on real bookies).
STATE_PATH = "api/v1/bookie/state/readonly"
AUTORECOVERY_PATH = "api/v1/autorecovery/status"
WRITABLE_PATH = "api/v1/bookie/list_bookies?type=rw&print_hostnames=false"
READ_ONLY_PATH = "api/v1/bookie/list_bookies?type=ro&print_hostnames=false"


def record(status):
    """What status.dataPlane records (an empty dict when nothing)."""
    return dict((status or {}).get("dataPlane") or {})


def pending(spec, status, keep_paused=False):
    """The snapshot entry before any observation: None when the mode is off and nothing is recorded.

    ``keep_paused``: a failed upgrade is rolled back by the same run, so autorecovery stays paused for it.
    """
    if not spec and not record(status):
        return None
    return {"spec": dict(spec, keep_paused=keep_paused) if spec else None, "observed": {}}


def bookie_id(pod_name, ids):
    """The id among ``ids`` that names the bookie of pod ``pod_name`` (its pod name, or its host name with or
    without a port: the Pravega image's ids), or None."""
    for candidate in ids or ():
        if candidate == pod_name or candidate.startswith(pod_name + ".") or candidate.startswith(pod_name + ":"):
            return candidate
    return None


def _move(kind, message, effect=None):
    return kind, message, effect


def _wait(message):
    return _move("wait", message)


def _observe(pod):
    return _move(OBSERVE, "asking the bookies about %s" % pod, {"type": OBSERVE, "pod": pod})


def _effect(kind, pod, message):
    return _move(kind, message, {"type": kind, "pod": pod})


def _observation(plane, pod):
    """The observation of ``pod`` when the snapshot carries it, else None (the core asks for one)."""
    return ((plane or {}).get("observed") or {}).get(pod)


def _unanswered(observed, what):
    return (observed.get("failed") or {}).get(what)


def _missing(observed, what):
    return (observed.get("missing") or {}).get(what)


def give_back(plane, status, now, ready_names, keep_paused=False, leaving=None):
    """The next step that gives back what the tool took from the data plane, or None when nothing is left.

    ``ready_names``: the Ready pods. A bookie set read-only is made writable only once its pod is Ready (a
    replaced bookie starts writable; one that came back read-only is set writable), unless it is ``leaving``,
    the bookie about to be replaced; autorecovery is resumed unless ``keep_paused``. Status changes go into
    ``status`` (the record cleared once given back).
    """
    if plane is None:
        return None
    taken = record(status)
    held = taken.get("readOnly")
    if held and held in ready_names and held != leaving:
        observed = _observation(plane, held)
        if observed is None:
            return _observe(held)
        for what in ("writable", "pod_read_only"):
            if _unanswered(observed, what):
                return _wait(
                    "waiting for bookie %s's admin API to say it is writable again: %s"
                    % (held, _unanswered(observed, what))
                )
        writable, read_only = observed.get("writable"), observed.get("read_only")
        if writable is None or bookie_id(held, writable) or observed.get("pod_read_only") is False:
            _clear(status, "readOnly", "readOnlySince")
        elif observed.get("pod_read_only") or bookie_id(held, read_only):
            return _effect(SET_WRITABLE, held, "setting bookie %s writable again" % held)
        else:
            return _wait("waiting for bookie %s to register as writable" % held)
    if taken.get("autorecoveryPausedAt") and not keep_paused:
        if not ready_names:
            return _wait("waiting for a Ready bookie to turn autorecovery back on")
        return _effect(RESUME_AUTORECOVERY, ready_names[-1], "turning autorecovery back on")
    return None


def _clear(status, *keys):
    taken = record(status)
    for key in keys:
        taken.pop(key, None)
    if taken:
        status["dataPlane"] = taken
    else:
        status.pop("dataPlane", None)


def _set(status, **values):
    status["dataPlane"] = dict(record(status), **values)


def after_change(status, effect, now):
    """The status once a data-plane ``effect`` is made (or, for those RECORDED_FIRST, about to be)."""
    kind, pod = effect["type"], effect.get("pod")
    if kind == PAUSE_AUTORECOVERY:
        _set(status, autorecoveryPausedAt=record(status).get("autorecoveryPausedAt") or cond.format_time(now))
    elif kind == RESUME_AUTORECOVERY:
        _clear(status, "autorecoveryPausedAt")
    elif kind == SET_READ_ONLY:
        taken = record(status)
        since = taken.get("readOnlySince") if taken.get("readOnly") == pod else None
        _set(status, readOnly=pod, readOnlySince=since or cond.format_time(now))
    elif kind == SET_WRITABLE:
        _clear(status, "readOnly", "readOnlySince")
    return status


def before_replacing(plane, status, now, pod, ready_names):
    """None when ``pod`` may go now, else the step before it: an observation, a change or a wait.

    ``pod`` is the bookie the rollout replaces next; ``ready_names``, the Ready pods. A pod that is not
    Ready is down already: only autorecovery is paused before it is replaced.
    """
    spec = (plane or {}).get("spec")
    if spec is None:
        return None
    observed = _observation(plane, pod)
    if observed is None:
        return _observe(pod)
    # Autorecovery first: it must be paused before any bookie goes, Ready or not; a pause recorded that BookKeeper
    # does not show (the request was refused after it was recorded) is asked again.
    if _unanswered(observed, "autorecovery"):
        return _hold(
            status,
            now,
            DATA_PLANE_UNANSWERED,
            "could not read autorecovery's status: %s" % _unanswered(observed, "autorecovery"),
        )
    if observed.get("autorecovery"):
        again = " (asked again)" if record(status).get("autorecoveryPausedAt") else ""
        return _effect(PAUSE_AUTORECOVERY, observed.get("asked") or pod, "pausing autorecovery for the rollout" + again)
    if pod not in ready_names:
        return None
    stall = _capacity_problem(spec, observed, pod, ready_names)
    if stall:
        return _hold(status, now, stall[0], stall[1])
    return _read_only_first(spec, status, now, observed, pod)


def _hold(status, now, reason, message):
    """A wait that the HealthCheckFailing condition explains, as the health gate holds."""
    status["conditions"] = cond.set_condition(
        status["conditions"], cond.HEALTH_CHECK_FAILING, cond.TRUE, now, reason, message
    )
    return _wait("holding the rollout: %s" % message)


def _capacity_problem(spec, observed, pod, ready_names):
    """(reason, message) when the writable bookies other than ``pod`` would not cover the largest ensemble."""
    if spec.get("accept_write_stall"):
        return None
    if _unanswered(observed, "writable"):
        return DATA_PLANE_UNANSWERED, "could not list the writable bookies: %s" % _unanswered(observed, "writable")
    ensemble = spec.get("ensemble_size") or DEFAULT_ENSEMBLE
    writable = observed.get("writable")
    if writable is None:
        # No list_bookies endpoint: the Ready pods stand for the writable bookies.
        others = sorted(name for name in ready_names if name != pod)
        counted = "Ready bookies"
    else:
        leaving = bookie_id(pod, writable)
        others = sorted(bookie for bookie in writable if bookie != leaving)
        counted = "writable bookies"
    if len(others) >= ensemble:
        return None
    return WRITERS_WOULD_STALL, (
        "writers would stall: with %s gone, %d %s are left (%s), fewer than the largest ensemble in use, %d; "
        "wait for a bookie to return or add one, or set data_plane.accept_write_stall to replace it anyway"
        % (pod, len(others), counted, ", ".join(others) or "none", ensemble)
    )


def _read_only_first(spec, status, now, observed, pod):
    """None once ``pod`` is read-only as BookKeeper says (or cannot be made so), else the step toward it."""
    missing = _missing(observed, "pod_read_only")
    if missing:
        status["conditions"] = cond.clear(status["conditions"], cond.HEALTH_CHECK_FAILING, now)
        return None
    unanswered = _unanswered(observed, "pod_read_only")
    if unanswered:
        return _hold(status, now, DATA_PLANE_UNANSWERED, "could not read bookie %s's state: %s" % (pod, unanswered))
    status["conditions"] = cond.clear(status["conditions"], cond.HEALTH_CHECK_FAILING, now)
    taken = record(status)
    if taken.get("readOnly") != pod:
        return _effect(SET_READ_ONLY, pod, "setting bookie %s read-only" % pod)
    writable = observed.get("writable")
    if observed.get("pod_read_only") and (writable is None or not bookie_id(pod, writable)):
        return None
    since = cond.parse_time(taken.get("readOnlySince"))
    limit = spec.get("read_only_seconds") or DEFAULT_READ_ONLY_SECONDS
    if since is not None and (now - since).total_seconds() > limit:
        return None
    if not observed.get("pod_read_only"):
        return _effect(SET_READ_ONLY, pod, "setting bookie %s read-only (asked again)" % pod)
    return _wait("waiting for bookie %s to leave the writable bookies" % pod)


def eviction(plane, pod, ready_names):
    """How data-plane mode evicts ``pod``: (what the step's message adds, the grace period or None for the pod's
    own). A bookie that is read-only goes within ``shutdown_seconds``; one that could not be made so goes as the
    plain rollout would, and the message says why."""
    observed = _observation(plane, pod)
    spec = (plane or {}).get("spec")
    if observed is None or spec is None or pod not in ready_names:
        return "", None
    missing = _missing(observed, "pod_read_only")
    if missing:
        return " without read-only first (bookie %s has no read-only endpoint: %s)" % (pod, missing), None
    if observed.get("pod_read_only"):
        return ", read-only", spec.get("shutdown_seconds") or DEFAULT_SHUTDOWN_SECONDS
    return ", still writable after the read-only wait", None


def _shown(body):
    text = " ".join((body or "").split())
    return text[:120] + ("..." if len(text) > 120 else "")


def answer(status, body, field=None):
    """What one admin API answer says: ("ok", value), ("missing", why) when the bookie has no such endpoint
    (a release before it; the documented fallback), or ("failed", why) for any other answer.

    ``field``: the key of the JSON object to read, else the object's keys (a list of bookie ids).
    """
    if status == 200:
        try:
            value = json.loads(body)
        except ValueError:
            return "failed", "HTTP 200 with an answer that is not JSON: %s" % _shown(body)
        if not isinstance(value, dict) or (field and not isinstance(value.get(field), bool)):
            return "failed", "HTTP 200 with an unexpected answer: %s" % _shown(body)
        return "ok", value[field] if field else sorted(value)
    # The bookie's own 404 (not the API server's Status object, whose pod is gone), or a method it refuses.
    if status in (404, 405, 501) and '"kind":"Status"' not in (body or "").replace(" ", ""):
        return "missing", "HTTP %d: %s" % (status, _shown(body))
    return "failed", "HTTP %s: %s" % (status or "none", _shown(body) or "no answer")


def change_request(effect):
    """(path, body) of the PUT that makes a data-plane ``effect``: BookKeeper reads autorecovery's ``enabled`` from
    the query (a body gets HTTP 400 "Param 'enabled' not found") and the bookie's state from a JSON object (a dict)."""
    kind = effect["type"]
    if kind in (PAUSE_AUTORECOVERY, RESUME_AUTORECOVERY):
        return "%s?enabled=%s" % (AUTORECOVERY_PATH, "true" if kind == RESUME_AUTORECOVERY else "false"), None
    return STATE_PATH, {"readOnly": kind == SET_READ_ONLY}


def change_verdict(effect, status, body):
    """ "" when the PUT of ``effect`` was taken, else why not."""
    if 200 <= (status or 0) < 300:
        return ""
    return "bookie %s did not take the request to %s: %s" % (
        effect["pod"],
        effect["type"].replace("_", " "),
        answer(status, body)[1],
    )
