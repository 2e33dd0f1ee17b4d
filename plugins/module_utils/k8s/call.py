# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The one door of every request: transient failures retried with backoff, every failure raised typed.

Transient means a timeout, a reset connection, or an answer in
errors.TRANSIENT_STATUSES; what remains becomes the error errors.api_error
builds, named by what was being done.
"""

__metaclass__ = type

import json
import time

from ansible_collections.bookkeeper.ops.plugins.module_utils import errors

try:
    import urllib3
    from kubernetes.client.rest import ApiException
except ImportError:  # connection.KUBERNETES_IMPORT_ERROR reports it
    pass

RETRY_DELAYS = (0.2, 0.5, 1, 2, 4, 8)


def request(what, call, *args, retries=None, **kwargs):
    """``call(*args, **kwargs)``, tried again after each of ``retries`` (seconds, RETRY_DELAYS by default)
    while it fails transiently."""
    delays = tuple(RETRY_DELAYS if retries is None else retries) + (None,)
    for attempt, delay in enumerate(delays):
        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if delay is None or not errors.is_transient(error):
                raise errors.api_error(error, what)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            if delay is None:
                raise errors.unanswered(what, attempt + 1, error)
        time.sleep(delay)
    return None  # unreachable: the last attempt returns or raises


def read(what, call, *args, **kwargs):
    """``request`` of a read whose answer comes back as the plain dict the API server sent."""
    return decode(request(what, call, *args, _preload_content=False, **kwargs))


def decode(response):
    return json.loads(response.data)
