# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Version rules of a BookkeeperCluster.

Versions read ``X.Y.Z`` with an optional leading ``v`` and an optional suffix
(``0.6.0-2252.b6f6512``). Comparisons look at ``X.Y.Z`` alone, as the
reference operator does, so two builds of one release compare equal.
"""

__metaclass__ = type

import re

from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import VersionError

DEFAULT_VERSION = "0.11.0"
DEFAULT_REPOSITORY = "pravega/bookkeeper"

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)([-+.][0-9A-Za-z][0-9A-Za-z.+_-]*)?")
# What an image tag may be; a requested version becomes the tag of the bookies' image.
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
VERSION_FORM = "X.Y.Z with an optional leading 'v' and suffix, such as 0.13.0 or 0.6.0-2252.b6f6512"


def parse(text):
    """Return the (major, minor, patch) triple of ``text`` or raise VersionError."""
    if not isinstance(text, str):
        raise VersionError(
            "request version is not in valid format: %r is a %s, expected a string of the form %s"
            % (text, type(text).__name__, VERSION_FORM)
        )
    match = _VERSION_RE.fullmatch(text)
    if not match:
        raise VersionError("request version is not in valid format: %r (expected %s)" % (text, VERSION_FORM))
    return tuple(int(part) for part in match.groups()[:3])


def check_requested(text):
    """``text`` when it can be requested as a version: well formed and usable as an image tag."""
    parse(text)
    if not _TAG_RE.fullmatch(text):
        raise VersionError(
            "request version is not in valid format: %r cannot be an image tag (letters, digits, '_', '.' and '-', "
            "at most 128)" % text
        )
    return text


def is_valid(text):
    try:
        parse(text)
    except VersionError:
        return False
    return True


def compare(left, right):
    """-1, 0 or 1 as ``left`` is lower than, equal to or higher than ``right`` (suffixes ignored)."""
    a, b = parse(left), parse(right)
    return (a > b) - (a < b)


def effective(spec_version):
    """The version a spec asks for: an empty version means the default release."""
    return spec_version or DEFAULT_VERSION


def last_stable(history):
    """The last entry of versionHistory, or "" when it is empty."""
    return history[-1] if history else ""


# The rule of every rollback, stated here only: a rollback goes to the last stable version, and nowhere else.
def rollback_target(status):
    """The one version a rollback of the cluster whose ``status`` this is may go to (the last stable version)."""
    return last_stable(history(status))


def rollback_refusal(requested, target):
    """Why a rollback to ``requested`` is refused, in the reference operator's words; "" when it goes to
    ``target``, the rollback target."""
    if requested == target:
        return ""
    return "Rollback to version %s not supported. Only rollback to version %s is supported." % (
        requested or "(none)",
        target,
    )


def history(status):
    """status.versionHistory; when it is missing, the current version alone, as the reference seeds it."""
    recorded = list(status.get("versionHistory") or [])
    current = status.get("currentVersion")
    return recorded or ([current] if current else [])


def append_history(history, version):
    """versionHistory after a completed upgrade: the version is added unless it is already last."""
    history = list(history or [])
    if not history or history[-1] != version:
        history.append(version)
    return history


def image(repository, version):
    return "%s:%s" % (repository or DEFAULT_REPOSITORY, version)
