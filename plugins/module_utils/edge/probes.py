# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The health gate's I/O: asks a bookie through the pod proxy, GETs a URL or runs a command, within the run's time
left, and hands the answer to core/health.py for its verdict."""

__metaclass__ = type

import os
import subprocess
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.health import (
    BOOKKEEPER,
    HTTP,
    UNDER_REPLICATED_PATH,
    bookkeeper_verdict,
    command_verdict,
    http_verdict,
    no_reporting_bookie,
    probe_seconds,
    reporting_bookie,
)


def run(spec, api, snapshot, next_pod):
    """Run the configured check before ``next_pod`` goes down; returns its verdict."""
    kind, timeout = spec["type"], probe_seconds(spec.get("timeout") or 30, api.seconds_left())
    if kind == BOOKKEEPER:
        bookie = reporting_bookie(snapshot, next_pod)
        if bookie is None:
            return no_reporting_bookie()
        status, body = api.proxy_get(bookie, spec.get("port") or 8000, UNDER_REPLICATED_PATH, timeout)
        return bookkeeper_verdict(bookie, status, body)
    if kind == HTTP:
        url = spec["url"].format(cluster=api.name, namespace=api.namespace, pod=next_pod)
        try:
            response = open_url(url, method="GET", timeout=timeout, validate_certs=spec.get("validate_certs", True))
            return http_verdict(url, response.getcode(), "")
        except HTTPError as error:
            return http_verdict(url, error.code, error.reason or "")
        except (URLError, OSError) as error:
            return http_verdict(url, 0, str(getattr(error, "reason", error)))
    argv = list(spec["command"])
    env = dict(os.environ, BK_CLUSTER=api.name, BK_NAMESPACE=api.namespace, BK_NEXT_POD=next_pod)
    try:
        done = subprocess.run(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return command_verdict(argv, "a timeout", "no answer within %g s" % timeout)
    except OSError as error:
        return command_verdict(argv, "an error", str(error))
    return command_verdict(argv, done.returncode, done.stdout.decode("utf-8", "replace"))
