# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The secrets a task's connection options carry, so that no output shows them.

A kubeconfig given inline (a dict, or its JSON or YAML text) holds credentials in
places no argument spec can mark as no_log: every user's token, password and
client key, the tokens and client secret of an auth-provider, and whatever an
exec credential plugin gets through its environment or command line. These
functions collect them, for AnsibleModule's no_log values on the target and for
the progress display on the controller. A kubeconfig given as a path holds no
secret of the task's own: it stays visible.
"""

__metaclass__ = type

import json
import re

try:
    import yaml
except ImportError:  # only JSON text is then read; the kubernetes client needs PyYAML anyway
    yaml = None

from urllib.parse import urlsplit

# A key, environment variable or command-line flag whose name has one of these words holds a secret.
SECRET_WORDS = frozenset(
    (
        "token",
        "tokens",
        "secret",
        "secrets",
        "password",
        "passwd",
        "passphrase",
        "pass",
        "pwd",
        "credential",
        "credentials",
        "apikey",
        "key",
    )
)
# A kubeconfig user's client-key is the path of the key file; the key itself is client-key-data.
PATH_KEYS = frozenset(("client-key",))
# Connection options that hold a secret as they are (also no_log in the argument spec), and proxy_headers' ones.
SECRET_OPTIONS = ("api_key", "password")
SECRET_HEADERS = ("proxy_basic_auth", "basic_auth")
# The keys of an exec plugin (args) and of the gcp auth-provider (cmd-args) that hold a command line.
COMMAND_LINES = frozenset(("args", "cmd-args"))

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def secret_name(name):
    """Whether a key, variable or flag called ``name`` holds a secret: ``id-token``, ``VAULT_TOKEN``, ``apiKey``."""
    if not isinstance(name, str) or name.lstrip("-").lower() in PATH_KEYS:
        return False
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(name))


def _strings(value):
    """Every string inside ``value``, numbers as they are written."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _command_line_secrets(words):
    """The values of secret flags in a command line: ``--client-secret=X`` or ``--client-secret X``."""
    if isinstance(words, str):
        words = words.split()
    if not isinstance(words, (list, tuple)):
        return
    flagged = False
    for word in _strings(list(words)):
        if flagged and not word.startswith("-"):
            yield word
        flagged = False
        if word.startswith("-"):
            name, equals, value = word.partition("=")
            if secret_name(name):
                if equals:
                    yield value
                else:
                    flagged = True


def _url_password(text):
    if "://" not in text:
        return None
    try:
        return urlsplit(text.strip()).password
    except ValueError:
        return None


def _found(data):
    """The secrets inside kubeconfig ``data``, wherever they sit in it."""
    if isinstance(data, dict):
        # An exec plugin's env entry: {name: VAULT_TOKEN, value: ...}
        if isinstance(data.get("name"), str) and "value" in data and secret_name(data["name"]):
            yield from _strings(data["value"])
        for key, value in data.items():
            if secret_name(key):
                yield from _strings(value)
            elif key in COMMAND_LINES:
                yield from _command_line_secrets(value)
                yield from _found(value)
            else:
                yield from _found(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from _found(item)
    elif isinstance(data, str):
        password = _url_password(data)  # a server or proxy-url with user:password@
        if password:
            yield password


def _spellings(secret):
    """``secret`` as it is, and as a JSON string or a Python repr would show it."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }


def _inline(text):
    """The kubeconfig a string holds as JSON or YAML text, or None for a path."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
        if yaml is not None and ("\n" in text or text.lstrip().startswith("{")):
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                data = None
    return data if isinstance(data, dict) else None


def kubeconfig_secrets(kubeconfig):
    """The secrets of an inline kubeconfig (a dict or its text), each in every spelling an output may show.

    When the text spells a secret in some other way (a YAML quoted or folded string), the whole text is secret.
    """
    text = None
    if isinstance(kubeconfig, str):
        text, kubeconfig = kubeconfig, _inline(kubeconfig)
    if not isinstance(kubeconfig, dict):
        return set()
    secrets = set()
    for secret in _found(kubeconfig):
        if secret.strip():
            spellings = _spellings(secret)
            secrets.update(spellings)
            if text is not None and not any(spelling in text for spelling in spellings):
                secrets.add(text)
    return secrets


def connection_secrets(params):
    """Every secret the connection options in ``params`` (raw task arguments) carry."""
    secrets = kubeconfig_secrets(params.get("kubeconfig"))
    found = [params.get(option) for option in SECRET_OPTIONS]
    headers = params.get("proxy_headers")
    if isinstance(headers, dict):
        found.extend(headers.get(header) for header in SECRET_HEADERS)
    else:
        found.append(headers)  # key=value or JSON text, read by AnsibleModule later
    if isinstance(params.get("proxy"), str):
        found.append(_url_password(params["proxy"]))
    for secret in _strings(found):
        if secret.strip():
            secrets.update(_spellings(secret))
    return secrets
