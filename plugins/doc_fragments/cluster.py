# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type


class ModuleDocFragment(object):
    # Which BookkeeperCluster a task works on.
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the BookkeeperCluster (C(bookkeeper.pravega.io/v1alpha1)).
    type: str
    required: true
    aliases: [cluster]
  namespace:
    description:
      - Namespace of the BookkeeperCluster.
    type: str
    default: default
"""

    # Options of the modules that drive a rollout.
    WAIT = r"""
options:
  wait:
    description:
      - With V(true), drive the rollout to its end (completion or failure) within O(timeout), waking on watch events
        of the cluster's pods.
      - With V(false), make one step (start, change a pod template, replace one pod, or record progress) and return,
        so that a role can show each pod as its own task.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to drive the rollout with O(wait=true) before returning with a retryable error. Between 1 and 86400.
      - It bounds the whole task, its requests to the API server included - each has a connect timeout of 5 s and
        a read timeout of at most 20 s, and a request that times out is retried while the task has time - so a task
        whose API server stops answering ends within O(timeout) plus 20 s. An address that has never answered is
        given up after 30 s.
      - It also bounds the health gate's checks and C(helm rollback).
      - The cluster's own progress deadline (C(spec.upgradeTimeout) minutes without a pod becoming Ready) is separate
        and fails the rollout.
    type: int
    default: 1800
  pod:
    description:
      - With O(wait=true), return as soon as this pod runs the target version and is Ready, or the rollout ends.
      - Roles loop over the plan with it, so that each pod is its own task in AWX.
    type: str
  progress:
    description:
      - With O(wait=true), print on the controller, while the task runs, one line per change of the cluster's bookies
        and conditions (a pod terminating, pulling, crash-looping, becoming Ready; a condition set), each with the
        seconds since the task started, and a reminder of the bookies not Ready after a minute without change.
      - The controller watches the cluster with the task's connection options and the K8S_AUTH_* variables of the
        controller; where it cannot reach the API server, nothing is printed and the task is not affected.
      - The module itself ignores this option.
    type: bool
    default: true
"""

    # The health gate of the modules that replace pods.
    HEALTH = r"""
options:
  health_check:
    description:
      - A check that must pass before each Ready bookie is taken down, so that the next bookie goes only when the
        cluster has recovered from the last one. While it fails, the rollout waits, the condition
        C(HealthCheckFailing) says why, and the cluster's progress deadline (C(spec.upgradeTimeout)) runs.
      - A bookie that is not Ready is replaced without the check, since it is down already.
      - The check belongs to the run; a run without this option does not check.
    type: dict
    suboptions:
      type:
        description:
          - V(bookkeeper) asks a Ready bookie, through the API server's pod proxy, for the ledgers marked
            under-replicated (C(GET /api/v1/autorecovery/list_under_replicated_ledger) of the bookie's admin HTTP
            server, which needs C(httpServerEnabled=true) in the bookie options); it passes when there are none.
            The caller needs C(get) on C(pods/proxy).
          - V(http) sends a GET from the controller to O(health_check.url); it passes on a 2xx answer.
          - V(command) runs O(health_check.command) on the controller; it passes when it exits 0. The environment
            has E(BK_CLUSTER), E(BK_NAMESPACE) and E(BK_NEXT_POD), the pod that goes down next.
        type: str
        required: true
        choices: [bookkeeper, http, command]
      port:
        description: The bookie's admin HTTP port, with O(health_check.type=bookkeeper).
        type: int
        default: 8000
      url:
        description:
          - The URL of O(health_check.type=http). C({cluster}), C({namespace}) and C({pod}) (the pod that goes
            down next) are replaced.
        type: str
      validate_certs:
        description: Whether O(health_check.type=http) checks the server's TLS certificate.
        type: bool
        default: true
      command:
        description: The command of O(health_check.type=command), as a list of arguments (no shell).
        type: list
        elements: str
      timeout:
        description: Seconds one check may take, within the run's O(timeout) left; a check that takes longer fails.
        type: int
        default: 30
"""

    # Data-plane mode of the modules that replace pods.
    DATA_PLANE = r"""
options:
  data_plane:
    description:
      - Data-plane mode uses the bookies' own admin API (C(httpServerEnabled=true), reached through the API
        server's pod proxy, which needs C(get) and C(update) on C(pods/proxy)) around each replacement.
      - Autorecovery is paused before the first bookie goes, if it was on, and turned back on when the rollout
        ends, succeeded, failed or aborted; with O(bookkeeper.ops.bk_upgrade#module:auto_rollback=true), only after
        the rollback. C(status.dataPlane) records the pause, so a run that was stopped is put right by the next run
        of bk_upgrade, bk_rollback or bk_status.
      - Before a Ready bookie goes, the writable bookies other than it must cover O(data_plane.ensemble_size), else
        the rollout holds with C(HealthCheckFailing) reason C(WritersWouldStall) while the progress deadline runs.
        The bookie is then set read-only, and replaced once BookKeeper reports it so; the next bookie goes only
        when the replaced one is writable again.
      - An endpoint a bookie does not have (HTTP 404) is a fallback, stated in the step, not a failure; an
        endpoint that does not answer holds the rollout with reason C(DataPlaneUnanswered).
      - Without this option (or with O(data_plane.enabled=false)) the rollout is the plain one; what an earlier
        run recorded in C(status.dataPlane) is still given back.
    type: dict
    suboptions:
      enabled:
        description: Whether the mode is on; giving the option turns it on.
        type: bool
        default: true
      ensemble_size:
        description:
          - The largest ensemble the cluster's writers use (Pravega's C(bookkeeper.ensemble.size)); the
            capacity check keeps at least this many other bookies writable.
        type: int
        default: 3
      accept_write_stall:
        description: Replace a bookie even when the writable bookies left would not cover the ensemble.
        type: bool
        default: false
      read_only_seconds:
        description:
          - Seconds a bookie asked to turn read-only may take; after them it is replaced as the plain rollout would.
        type: int
        default: 30
      shutdown_seconds:
        description:
          - The grace period of a read-only bookie's eviction, instead of the pod's own
            (C(terminationGracePeriodSeconds), 30 s by default). Its writers have left it and its journal holds every
            entry it acknowledged; a bookie that embeds autorecovery otherwise spends 10 to 30 s after SIGTERM waiting
            for autorecovery's threads.
          - A bookie that did not turn read-only is evicted with its own grace period.
        type: int
        default: 2
      port:
        description: The bookies' admin HTTP port (C(httpServerPort)).
        type: int
        default: 8000
      timeout:
        description: Seconds each admin request may take, within the run's O(timeout) left.
        type: int
        default: 10
"""
