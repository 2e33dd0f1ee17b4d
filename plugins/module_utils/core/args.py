# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Argument specs shared by the bk_* modules, mirrored by the doc fragments.

Connection options carry the names, aliases and K8S_AUTH_* environment
variables of kubernetes.core, so an AWX Kubernetes credential or an existing
kubeconfig works unchanged.
"""

__metaclass__ = type

import copy
import re

AUTH_ARG_SPEC = {
    "kubeconfig": {"type": "raw"},
    "context": {"type": "str"},
    "host": {"type": "str"},
    "api_key": {"type": "str", "no_log": True},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool", "aliases": ["verify_ssl"]},
    "ca_cert": {"type": "path", "aliases": ["ssl_ca_cert"]},
    "client_cert": {"type": "path", "aliases": ["cert_file"]},
    "client_key": {"type": "path", "aliases": ["key_file"], "no_log": False},
    "proxy": {"type": "str"},
    "no_proxy": {"type": "str"},
    "proxy_headers": {
        "type": "dict",
        "options": {
            "proxy_basic_auth": {"type": "str", "no_log": True},
            "basic_auth": {"type": "str", "no_log": True},
            "user_agent": {"type": "str"},
        },
    },
    "persist_config": {"type": "bool"},
    "impersonate_user": {"type": "str"},
    "impersonate_groups": {"type": "list", "elements": "str"},
}

# Option name -> the environment variables read when the option is not given, first set one first:
# kubernetes.core's K8S_AUTH_<option>, then K8S_AUTH_<kubernetes client setting> where the two names differ.
AUTH_ENV = {
    "kubeconfig": ("K8S_AUTH_KUBECONFIG",),
    "context": ("K8S_AUTH_CONTEXT",),
    "host": ("K8S_AUTH_HOST",),
    "api_key": ("K8S_AUTH_API_KEY",),
    "username": ("K8S_AUTH_USERNAME",),
    "password": ("K8S_AUTH_PASSWORD",),
    "validate_certs": ("K8S_AUTH_VALIDATE_CERTS", "K8S_AUTH_VERIFY_SSL"),
    "ca_cert": ("K8S_AUTH_CA_CERT", "K8S_AUTH_SSL_CA_CERT"),
    "client_cert": ("K8S_AUTH_CLIENT_CERT", "K8S_AUTH_CERT_FILE"),
    "client_key": ("K8S_AUTH_CLIENT_KEY", "K8S_AUTH_KEY_FILE"),
    "proxy": ("K8S_AUTH_PROXY",),
    "no_proxy": ("K8S_AUTH_NO_PROXY",),
    "persist_config": ("K8S_AUTH_PERSIST_CONFIG",),
    "impersonate_user": ("K8S_AUTH_IMPERSONATE_USER",),
    "impersonate_groups": ("K8S_AUTH_IMPERSONATE_GROUPS",),
}

# proxy_headers suboption -> its variable, read only when proxy_headers is not given.
AUTH_PROXY_HEADERS_ENV = {
    name: "K8S_AUTH_PROXY_HEADERS_%s" % name.upper() for name in AUTH_ARG_SPEC["proxy_headers"]["options"]
}

CLUSTER_ARG_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["cluster"]},
    "namespace": {"type": "str", "default": "default"},
}

WAIT_ARG_SPEC = {
    "wait": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 1800},
    "pod": {"type": "str"},
    "progress": {"type": "bool", "default": True},
}

HEALTH_ARG_SPEC = {
    "health_check": {
        "type": "dict",
        "options": {
            "type": {"type": "str", "required": True, "choices": ["bookkeeper", "http", "command"]},
            "port": {"type": "int", "default": 8000},
            "url": {"type": "str"},
            "validate_certs": {"type": "bool", "default": True},
            "command": {"type": "list", "elements": "str"},
            "timeout": {"type": "int", "default": 30},
        },
        "required_if": [("type", "http", ["url"]), ("type", "command", ["command"])],
    },
}

# Data-plane mode (core/data_plane.py). Given as a dict, it is on unless enabled is false, so that a role can pass
# {"enabled": false} and a playbook the whole option.
DATA_PLANE_ARG_SPEC = {
    "data_plane": {
        "type": "dict",
        "options": {
            "enabled": {"type": "bool", "default": True},
            "ensemble_size": {"type": "int", "default": 3},
            "accept_write_stall": {"type": "bool", "default": False},
            "read_only_seconds": {"type": "int", "default": 30},
            "shutdown_seconds": {"type": "int", "default": 2},
            "port": {"type": "int", "default": 8000},
            "timeout": {"type": "int", "default": 10},
        },
    },
}

# A run drives the cluster for at most a day; a larger timeout is a typo.
MAX_TIMEOUT = 86400


def argspec(*extra):
    """A module's argument spec: connection and cluster options plus ``extra`` specs."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(copy.deepcopy(CLUSTER_ARG_SPEC))
    for part in extra:
        spec.update(copy.deepcopy(part))
    return spec


_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME_RULES = {
    # option: (pattern, longest, what Kubernetes calls it)
    "name": (re.compile(r"%s(\.%s)*" % (_LABEL, _LABEL)), 253, "a DNS-1123 subdomain"),
    "namespace": (re.compile(_LABEL), 63, "a DNS-1123 label"),
}


def check_names(params):
    """An error message for a cluster name or namespace Kubernetes would not accept, or None."""
    for option, (pattern, longest, kind) in _NAME_RULES.items():
        value = params.get(option)
        if value is None:
            continue
        if not pattern.fullmatch(value) or len(value) > longest:
            return "%s %r is not %s: lowercase letters, digits and '-'%s, at most %d characters" % (
                option,
                value,
                kind,
                " and '.'" if option == "name" else "",
                longest,
            )
    return None


def check_data_plane(option):
    """An error message for a data_plane option out of range, or None."""
    for key, lowest in (
        ("ensemble_size", 1),
        ("read_only_seconds", 1),
        ("shutdown_seconds", 1),
        ("timeout", 1),
        ("port", 1),
    ):
        value = (option or {}).get(key)
        if value is not None and value < lowest:
            return "data_plane.%s must be at least %d, got %d" % (key, lowest, value)
    if (option or {}).get("port", 1) > 65535:
        return "data_plane.port must be a TCP port (1 to 65535), got %d" % option["port"]
    return None


def check_timeout(timeout):
    """An error message for a timeout outside 1..MAX_TIMEOUT seconds, or None."""
    if timeout < 1 or timeout > MAX_TIMEOUT:
        return "timeout must be between 1 and %d seconds, got %d" % (MAX_TIMEOUT, timeout)
    return None
