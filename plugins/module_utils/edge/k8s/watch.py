# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""One way to follow objects: a list, then watches from its resourceVersion, listing again when it expires.

Each watch asks the server to end it after ``seconds`` (timeoutSeconds) and reads with a client timeout a little
longer (http_door.WATCH_MARGIN_SECONDS), so that a stream gone silent (an API server paused or cut off) ends as a quiet
watch and is opened again from its resourceVersion instead of blocking its reader.
"""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors

try:
    import urllib3
    from kubernetes import watch as k8s_watch
    from kubernetes.client.rest import ApiException
except ImportError:  # connection.KUBERNETES_IMPORT_ERROR reports it
    pass

# What follow() yields besides the API server's ADDED, MODIFIED and DELETED events.
LISTED = "LISTED"  # an object as a list showed it
QUIET = "QUIET"  # a watch request ended without any event (its time was up, or its version expired)


def follow(door, what, list_call, *args, seconds, version="", **query):
    """The objects of ``list_call`` and their changes as events ``{"type", "object"}``, for as long as it is read.

    Requests go through ``door`` (an http_door.Door). Without ``version`` it lists first; each watch request lasts
    ``seconds`` at most.
    """
    while True:
        if not version:
            document = door.read(what, list_call, *args, **query)
            for item in document["items"]:
                yield {"type": LISTED, "object": item}
            version = document["metadata"].get("resourceVersion", "")
        quiet = True
        for event in _watch(door, what, list_call, args, version, seconds, query):
            if event["type"] == "ERROR":
                version = ""  # expired: list again
                break
            quiet = False
            version = event["object"]["metadata"].get("resourceVersion") or version
            yield event
        if quiet:
            yield {"type": QUIET, "object": None}


def _watch(door, what, list_call, args, version, seconds, query):
    """One watch request; a stale version (410) ends it as an ERROR event, a silent stream ends it quietly."""
    timeout = door.watch_timeout(seconds)
    if timeout is None:
        raise door.unanswered(what, 0, 0, None)
    stream = k8s_watch.Watch()
    try:
        for event in stream.stream(
            list_call,
            *args,
            resource_version=version,
            timeout_seconds=max(1, int(seconds)),
            _request_timeout=tuple(timeout),
            **query,
        ):
            yield {"type": event["type"], "object": event["raw_object"]}
    except ApiException as error:
        if error.status != 410:
            raise errors.api_error(error, what) from error
        yield {"type": "ERROR", "object": None}
    except urllib3.exceptions.ReadTimeoutError:
        return  # nothing for longer than the server was asked to wait: open the watch again
    except (OSError, urllib3.exceptions.HTTPError) as error:
        raise door.unanswered(what, 1, timeout.read, error) from error
    finally:
        stream.stop()
