# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Connection settings and the ApiClient, resolved as kubernetes.core resolves them.

Module options first, then the K8S_AUTH_* variables, then a kubeconfig or the
pod's service account; the same names, aliases and variables as
kubernetes.core, so an AWX Kubernetes credential or an existing kubeconfig
works unchanged.
"""

__metaclass__ = type

import os

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE, boolean

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.args import (
    AUTH_ARG_SPEC,
    AUTH_ENV,
    AUTH_PROXY_HEADERS_ENV,
)
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.errors import KubeError

try:
    import urllib3
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.config import incluster_config
    from kubernetes.config.config_exception import ConfigException

    KUBERNETES_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the modules through missing_required_lib
    KUBERNETES_IMPORT_ERROR = import_error


_SPELLINGS = {
    truth: ", ".join(sorted(word for word in words if isinstance(word, str)))
    for truth, words in ((True, BOOLEANS_TRUE), (False, BOOLEANS_FALSE))
}


def _boolean(value, origin):
    """``value`` as a bool by Ansible's rules; anything else is refused, so that a typo never turns TLS checks off."""
    try:
        return boolean(value, strict=True)
    except TypeError as error:
        raise KubeError(
            "%s is %r, which is not a boolean: use %s for true or %s for false (in any letter case)"
            % (origin, value, _SPELLINGS[True], _SPELLINGS[False])
        ) from error


def _from_text(option, origin, raw):
    """The value of ``option`` written as ``raw`` in a variable (or in the task's arguments, named by ``origin``)."""
    kind = AUTH_ARG_SPEC[option].get("type")
    if kind == "bool":
        return _boolean(raw, origin)
    if kind == "list":
        return [item.strip() for item in str(raw).split(",") if item.strip()]
    return raw


def auth_settings(params, environ):
    """Connection settings: module options first, then the K8S_AUTH_* variables; an empty variable counts as unset.

    Raises KubeError for a boolean that is not one, before anything is contacted.
    """
    settings = {}
    for option, variables in AUTH_ENV.items():
        value = params.get(option)
        if value is None:
            variable = next((name for name in variables if environ.get(name)), None)
            if variable:
                value = _from_text(option, variable, environ[variable])
        elif AUTH_ARG_SPEC[option].get("type") in ("bool", "list") and not isinstance(value, (bool, list)):
            # The progress display passes the task's arguments unconverted.
            value = _from_text(option, "option %s" % option, value)
        settings[option] = value
    if settings["host"]:
        # The client appends each API path to the host: a trailing slash would double it.
        settings["host"] = settings["host"].rstrip("/")
    proxy_headers = params.get("proxy_headers")
    if proxy_headers is None:
        proxy_headers = {name: environ[var] for name, var in AUTH_PROXY_HEADERS_ENV.items() if environ.get(var)}
    settings["proxy_headers"] = proxy_headers or None
    return settings


if KUBERNETES_IMPORT_ERROR is None:

    class ApiClient(k8s.ApiClient):
        """An ApiClient that sends each impersonated group in an Impersonate-Group header of its own.

        The API server reads each header value as one group name; default_headers, a dict, holds one value per name.
        """

        impersonate_groups = ()

        def request(self, method, url, query_params=None, headers=None, **rest):
            if self.impersonate_groups:
                headers = urllib3.HTTPHeaderDict(headers or {})
                for group in self.impersonate_groups:
                    headers.add("Impersonate-Group", group)
            return super(ApiClient, self).request(method, url, query_params=query_params, headers=headers, **rest)


def _complete(settings):
    """Whether the options name a server and credentials, so that no kubeconfig or service account is read."""
    return any(
        all(settings[option] for option in options)
        for options in (("host", "api_key"), ("host", "username", "password"), ("host", "client_cert", "client_key"))
    )


def _load(settings, environ, configuration):
    """Fill ``configuration`` from the kubeconfig or the pod's service account, as kubernetes.core chooses them."""
    kubeconfig, context = settings["kubeconfig"], settings["context"]
    if isinstance(kubeconfig, dict):
        k8s_config.load_kube_config_from_dict(
            kubeconfig, context=context, client_configuration=configuration, persist_config=False
        )
        return
    service_account = ""
    if not (kubeconfig or context):
        try:
            incluster_config.InClusterConfigLoader(
                token_filename=incluster_config.SERVICE_TOKEN_FILENAME,
                cert_filename=incluster_config.SERVICE_CERT_FILENAME,
                environ=environ,
            ).load_and_set(configuration)
            return
        except ConfigException as error:
            # Outside a pod, or in a pod without a service-account token: the kubeconfig, as kubernetes.core does.
            if incluster_config.SERVICE_HOST_ENV_NAME in environ:
                service_account = "the pod's service account is not usable: %s; " % error
    try:
        k8s_config.load_kube_config(
            config_file=kubeconfig or environ.get("KUBECONFIG") or "~/.kube/config",
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as error:
        raise ConfigException(service_account + str(error)) from error


def _override(configuration, settings):
    """Set on ``configuration`` what the options and variables give, over what a kubeconfig or pod gave."""
    if settings["host"]:
        configuration.host = settings["host"]
    if settings["api_key"]:
        configuration.api_key = {"authorization": "Bearer %s" % settings["api_key"]}
    if settings["username"]:
        configuration.username = settings["username"]
    if settings["password"]:
        configuration.password = settings["password"]
    if settings["username"] and settings["password"]:
        configuration.api_key = {
            "authorization": urllib3.util.make_headers(
                basic_auth="%s:%s" % (settings["username"], settings["password"])
            )["authorization"]
        }
    if settings["validate_certs"] is not None:
        configuration.verify_ssl = settings["validate_certs"]
    for option, attribute in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file")):
        if settings[option]:
            setattr(configuration, attribute, settings[option])
    if settings["proxy"]:
        configuration.proxy = settings["proxy"]
    if settings["no_proxy"]:
        configuration.no_proxy = settings["no_proxy"]
    if settings["proxy_headers"]:
        headers = {k: v for k, v in settings["proxy_headers"].items() if v}
        configuration.proxy_headers = urllib3.util.make_headers(**headers)


def api_client(params, environ=None):
    """An ApiClient configured as kubernetes.core would configure it for the same options and variables."""
    environ = os.environ if environ is None else environ
    settings = auth_settings(params, environ)
    configuration = k8s.Configuration()
    if not _complete(settings):
        try:
            _load(settings, environ, configuration)
        except (ConfigException, OSError, ValueError, TypeError) as error:
            raise KubeError(
                "cannot load the Kubernetes connection settings (%s): give kubeconfig (a path or a dict), host with "
                "api_key or a client certificate and key, or set K8S_AUTH_KUBECONFIG / KUBECONFIG" % error
            ) from error
    _override(configuration, settings)
    # urllib3 would retry a timed-out read three times on its own, unseen by http_door.Door's time rules.
    configuration.retries = False
    refresh = configuration.refresh_api_key_hook
    if refresh is not None:
        # Before each request, a kubeconfig with a token or the pod's service account writes its server and
        # credentials back: the options must still win.
        def refresh_then_override(target):
            refresh(target)
            _override(target, settings)

        configuration.refresh_api_key_hook = refresh_then_override
    client = ApiClient(configuration)
    client.user_agent = resource.USER_AGENT
    if settings["impersonate_user"]:
        client.set_default_header("Impersonate-User", settings["impersonate_user"])
    client.impersonate_groups = tuple(settings["impersonate_groups"] or ())
    return client
