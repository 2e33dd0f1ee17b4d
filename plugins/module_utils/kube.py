# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""The only code that talks to the Kubernetes API server.

It reads one snapshot of a BookkeeperCluster (the resource, its StatefulSet
and its pods), carries out the core's decisions (status through the status
subresource guarded by resourceVersion, pod template patches, evictions,
events), holds the Lease that keeps two runs apart and waits on watches.
Transient failures (timeouts, 5xx, 429, connection resets) are retried with
backoff; what remains is raised as KubeError with a message for humans.
"""

__metaclass__ = type

import copy
import datetime
import json
import os
import socket
import time
import uuid

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE, boolean

from ansible_collections.bookkeeper.ops.plugins.module_utils import conditions as cond
from ansible_collections.bookkeeper.ops.plugins.module_utils import helm, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.args import (
    AUTH_ARG_SPEC,
    AUTH_ENV,
    AUTH_PROXY_HEADERS_ENV,
)
from ansible_collections.bookkeeper.ops.plugins.module_utils.errors import (
    TRANSIENT_STATUSES,
    Conflict,
    KubeError,
    LeaseHeld,
    api_error,
    is_transient,
    reason_of,
    unanswered,
)
from ansible_collections.bookkeeper.ops.plugins.module_utils.resource import GROUP, KIND, PLURAL, VERSION

try:
    import urllib3
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes import watch as k8s_watch
    from kubernetes.client.rest import ApiException
    from kubernetes.config import incluster_config
    from kubernetes.config.config_exception import ConfigException

    KUBERNETES_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the modules through missing_required_lib
    KUBERNETES_IMPORT_ERROR = import_error

LEASE_SECONDS = 30
RETRY_DELAYS = (0.2, 0.5, 1, 2, 4, 8)


_SPELLINGS = {
    truth: ", ".join(sorted(word for word in words if isinstance(word, str)))
    for truth, words in ((True, BOOLEANS_TRUE), (False, BOOLEANS_FALSE))
}


def _boolean(value, origin):
    """``value`` as a bool by Ansible's rules; anything else is refused, so that a typo never turns TLS checks off."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise KubeError(
            "%s is %r, which is not a boolean: use %s for true or %s for false (in any letter case)"
            % (origin, value, _SPELLINGS[True], _SPELLINGS[False])
        )


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
        raise ConfigException(service_account + str(error))


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
            )
    _override(configuration, settings)
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


def retrying(what, call, *args, **kwargs):
    """``call`` retried with backoff on transient failures; other failures become KubeError."""
    for attempt, delay in enumerate(RETRY_DELAYS + (None,)):
        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if not is_transient(error):
                raise
            failure = error
        except (OSError, urllib3.exceptions.HTTPError) as error:
            failure = error
        if delay is None:
            if isinstance(failure, ApiException):
                raise api_error(failure, what)
            raise unanswered(what, attempt + 1, failure)
        time.sleep(delay)
    return None  # unreachable: the last attempt raises


def _json(response):
    return json.loads(response.data)


def identity():
    """Who holds a Lease: host, process and a random part, so a killed run can be recognised."""
    return "%s/%d/%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])


def _holder_is_dead(holder):
    """True when ``holder`` names a process of this host that is gone (or a zombie left by a kill)."""
    parts = (holder or "").split("/")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        with open("/proc/%s/stat" % parts[1]) as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except (OSError, IndexError):
        pass
    try:
        os.kill(int(parts[1]), 0)
    except OSError:
        return True
    return False


class ClusterAPI:
    """One BookkeeperCluster as the API server shows it, and the writes the core asks for."""

    def __init__(self, client, name, namespace, holder=None):
        self.name = name
        self.namespace = namespace
        self.holder = holder or identity()
        self.client = client
        self.core = k8s.CoreV1Api(client)
        self.apps = k8s.AppsV1Api(client)
        self.custom = k8s.CustomObjectsApi(client)
        self.coordination = k8s.CoordinationV1Api(client)
        self.lease_name = resource.lease_name(name)
        self.lease_renewed = None
        self.pods_version = ""

    # Reading
    def get_cluster(self):
        cluster = self.find_cluster()
        if cluster is None:
            raise KubeError("BookkeeperCluster %s not found in namespace %s" % (self.name, self.namespace))
        return cluster

    def find_cluster(self):
        """The cluster resource, or None when it does not exist yet."""
        what = "reading BookkeeperCluster %s/%s" % (self.namespace, self.name)
        if not self.name:
            raise KubeError("%s: the cluster name is empty" % what)
        try:
            return retrying(
                what, self.custom.get_namespaced_custom_object, GROUP, VERSION, self.namespace, PLURAL, self.name
            )
        except ApiException as error:
            if error.status != 404:
                raise api_error(error, what)
            try:
                details = json.loads(error.body).get("details") or {}
            except (TypeError, ValueError):
                details = {}
            if details.get("kind") == PLURAL:
                return None
            raise KubeError(
                "the BookkeeperCluster resource type (%s/%s) is not installed on this cluster; install its CRD, for "
                "example with the bookkeeper.ops.deploy role" % (GROUP, VERSION)
            )

    def wait_for_type(self, seconds=30):
        """Wait until the API server serves BookkeeperClusters, after the CRD was applied."""
        started = time.monotonic()
        while True:
            try:
                self.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, limit=1)
                return
            except ApiException as error:
                if error.status != 404 or time.monotonic() - started > seconds:
                    raise api_error(error, "waiting for the BookkeeperCluster resource type to be served")
            time.sleep(0.2)

    def observe(self):
        """One snapshot: the cluster, then each component's StatefulSet and pods."""
        cluster = self.get_cluster()
        components = []
        for component in resource.COMPONENTS:
            workload_name = resource.workload_name(self.name, component)
            what = "reading StatefulSet %s/%s" % (self.namespace, workload_name)
            try:
                workload = _json(
                    retrying(
                        what,
                        self.apps.read_namespaced_stateful_set,
                        workload_name,
                        self.namespace,
                        _preload_content=False,
                    )
                )
            except ApiException as error:
                if error.status != 404:
                    raise api_error(error, what)
                workload = None
            pod_list = self._pods(workload)
            components.append({"name": component, "workload": workload, "pods": pod_list["items"]})
            self.pods_version = pod_list["metadata"].get("resourceVersion", "")
        return {"cluster": cluster, "components": components}

    def _pods(self, workload):
        what = "listing the pods of %s/%s" % (self.namespace, self.name)
        try:
            return _json(
                retrying(
                    what,
                    self.core.list_namespaced_pod,
                    self.namespace,
                    label_selector=resource.selector(self.name, workload),
                    _preload_content=False,
                )
            )
        except ApiException as error:
            raise api_error(error, what)

    # Writing
    def _replace(self, what, call, body):
        try:
            return retrying(what, call, GROUP, VERSION, self.namespace, PLURAL, self.name, body)
        except ApiException as error:
            if error.status == 409:
                raise Conflict(what)
            raise api_error(error, what)

    def write_status(self, cluster, status):
        """Replace the status through the subresource; the resourceVersion guards other writers."""
        body = copy.deepcopy(cluster)
        body["status"] = status
        what = "writing the status of BookkeeperCluster %s/%s" % (self.namespace, self.name)
        return self._replace(what, self.custom.replace_namespaced_custom_object_status, body)

    def set_version(self, cluster, version):
        """Set spec.version as a user would; the resourceVersion guards other writers."""
        body = copy.deepcopy(cluster)
        body.setdefault("spec", {})["version"] = version
        what = "setting spec.version of BookkeeperCluster %s/%s" % (self.namespace, self.name)
        return self._replace(what, self.custom.replace_namespaced_custom_object, body)

    def set_template(self, action, snapshot):
        """Point the component's pod template at the action's image and version."""
        component = [c for c in snapshot["components"] if c["name"] == action["component"]][0]
        containers = component["workload"]["spec"]["template"]["spec"]["containers"]
        patch = {
            "spec": {
                "template": {
                    "metadata": {"annotations": {resource.VERSION_ANNOTATION: action["version"]}},
                    "spec": {"containers": [{"name": containers[0]["name"], "image": action["image"]}]},
                }
            }
        }
        what = "updating the pod template of StatefulSet %s/%s" % (self.namespace, action["workload"])
        try:
            retrying(what, self.apps.patch_namespaced_stateful_set, action["workload"], self.namespace, patch)
        except ApiException as error:
            raise api_error(error, what)

    def evict(self, pod_name, pod_uid):
        """Evict a pod through the Eviction API; returns why it was refused, or "" when it goes."""
        body = k8s.V1Eviction(
            metadata=k8s.V1ObjectMeta(name=pod_name, namespace=self.namespace),
            delete_options=k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(uid=pod_uid)),
        )
        what = "evicting pod %s/%s" % (self.namespace, pod_name)
        try:
            self.core.create_namespaced_pod_eviction(pod_name, self.namespace, body)
        except ApiException as error:
            if error.status == 429 or "PodDisruptionBudget" in reason_of(error):
                return "eviction of pod %s is blocked by a PodDisruptionBudget: %s" % (pod_name, reason_of(error))
            if error.status in (404, 409):
                return ""  # already gone or already replaced: the next observation shows which
            if error.status in TRANSIENT_STATUSES:
                return "eviction of pod %s failed for now: %s" % (pod_name, reason_of(error))
            raise api_error(error, what)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            return "eviction of pod %s failed for now: %s" % (pod_name, error)
        return ""

    def emit_event(self, cluster, event, now):
        stamp = cond.format_time(now)
        metadata = cluster["metadata"]
        body = {
            "metadata": {
                "generateName": "%s-" % self.name,
                "namespace": self.namespace,
                "labels": resource.labels(self.name),
            },
            "involvedObject": {
                "apiVersion": resource.API_VERSION,
                "kind": KIND,
                "name": self.name,
                "namespace": self.namespace,
                "uid": metadata.get("uid"),
                "resourceVersion": metadata.get("resourceVersion"),
            },
            "reason": event["reason"],
            "message": event["message"],
            "type": event["type"],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "source": {"component": resource.FIELD_MANAGER},
            "reportingComponent": resource.FIELD_MANAGER,
            "reportingInstance": self.holder,
        }
        what = "recording event %r on BookkeeperCluster %s/%s" % (event["reason"], self.namespace, self.name)
        try:
            retrying(what, self.core.create_namespaced_event, self.namespace, body)
        except ApiException as error:
            raise api_error(error, what)

    def helm_release_records(self, release):
        """The ``data.release`` of each Secret in which Helm stores a revision of ``release``."""
        what = "reading the history of Helm release %s/%s" % (self.namespace, release)
        try:
            secrets = _json(
                retrying(
                    what,
                    self.core.list_namespaced_secret,
                    self.namespace,
                    label_selector="owner=helm,name=%s" % release,
                    _preload_content=False,
                )
            )
        except ApiException as error:
            raise api_error(error, what)
        return [
            item["data"]["release"]
            for item in secrets["items"]
            if item.get("type") == helm.RELEASE_SECRET_TYPE and "release" in (item.get("data") or {})
        ]

    def annotate(self, key, value):
        """Set (or with None remove) one annotation of the cluster resource."""
        patch = {"metadata": {"annotations": {key: value}}}
        what = "annotating BookkeeperCluster %s/%s with %s" % (self.namespace, self.name, key)
        try:
            retrying(
                what,
                self.custom.patch_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                self.name,
                patch,
            )
        except ApiException as error:
            raise api_error(error, what)

    def proxy_get(self, pod_name, port, path, timeout):
        """GET ``path`` on a pod's port through the API server's pod proxy; returns (HTTP status, body).

        The pod's own answer comes back as it is, error statuses included; a pod the
        API server cannot reach gives its 502/503 answer. Only a failure to reach the
        API server itself raises.
        """
        url = "/api/v1/namespaces/%s/pods/%s:%d/proxy/%s" % (self.namespace, pod_name, port, path.lstrip("/"))
        try:
            response = self.client.call_api(
                url,
                "GET",
                header_params={"Accept": "*/*"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=False,
                _request_timeout=timeout,
            )
            return response[1], response[0].data.decode("utf-8", "replace")
        except ApiException as error:
            return error.status, error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else (
                error.body or ""
            )
        except (OSError, urllib3.exceptions.HTTPError) as error:
            return 0, "no answer from the API server's pod proxy: %s" % error

    # Waiting
    def wait_for_change(self, seconds):
        """Block until a pod of the cluster changes, or ``seconds`` pass."""
        seconds = max(1, int(round(seconds)))
        try:
            for _event in self.watch(
                self.core.list_namespaced_pod,
                self.pods_version,
                seconds,
                namespace=self.namespace,
                label_selector=resource.selector(self.name, None),
                allow_watch_bookmarks=False,
            ):
                break
        except ApiException as error:
            raise api_error(error, "watching the pods of %s/%s" % (self.namespace, self.name))
        except (OSError, urllib3.exceptions.HTTPError):
            time.sleep(min(seconds, 1))

    def list_clusters(self, **query):
        """The namespace's BookkeeperClusters (a list call the progress display also watches)."""
        return self.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, **query)

    @staticmethod
    def decode(response):
        return _json(response)

    @staticmethod
    def watch(list_call, resource_version, seconds, **query):
        """Events of a watch on ``list_call`` as plain dicts, until ``seconds`` pass; a stale version ends it."""
        stream = k8s_watch.Watch()
        try:
            for event in stream.stream(list_call, resource_version=resource_version, timeout_seconds=seconds, **query):
                yield {"type": event["type"], "object": event["raw_object"]}
        except ApiException as error:
            if error.status != 410:
                raise
        finally:
            stream.stop()

    # The Lease that keeps two runs apart
    def _lease_body(self, now, existing=None):
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = existing or {
            "metadata": {
                "name": self.lease_name,
                "namespace": self.namespace,
                "labels": {"bookkeeper_cluster": self.name},
            },
            "spec": {},
        }
        held_by_me = body["spec"].get("holderIdentity") == self.holder
        body["spec"].update(holderIdentity=self.holder, leaseDurationSeconds=LEASE_SECONDS, renewTime=stamp)
        if not held_by_me:
            body["spec"]["acquireTime"] = stamp
        return body

    def _read_lease(self):
        try:
            return _json(
                retrying(
                    "reading Lease %s/%s" % (self.namespace, self.lease_name),
                    self.coordination.read_namespaced_lease,
                    self.lease_name,
                    self.namespace,
                    _preload_content=False,
                )
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise api_error(error, "reading Lease %s/%s" % (self.namespace, self.lease_name))

    def acquire(self, now):
        """Take the cluster's Lease, or raise KubeError naming the run that holds it."""
        lease = self._read_lease()
        what = "taking Lease %s/%s" % (self.namespace, self.lease_name)
        try:
            if lease is None:
                self.coordination.create_namespaced_lease(self.namespace, self._lease_body(now))
            else:
                spec = lease.get("spec") or {}
                holder = spec.get("holderIdentity")
                renewed = cond.parse_time(spec.get("renewTime"))
                expires = (
                    renewed + datetime.timedelta(seconds=spec.get("leaseDurationSeconds") or LEASE_SECONDS)
                    if renewed
                    else None
                )
                if holder and holder != self.holder and expires and expires > now and not _holder_is_dead(holder):
                    raise LeaseHeld(self._held_message(holder, expires))
                self.coordination.replace_namespaced_lease(
                    self.lease_name, self.namespace, self._lease_body(now, lease)
                )
        except ApiException as error:
            if error.status == 409:
                lease = self._read_lease() or {"spec": {}}
                raise LeaseHeld(self._held_message(lease["spec"].get("holderIdentity"), None))
            raise api_error(error, what)
        self.lease_renewed = now

    def _held_message(self, holder, expires):
        return (
            "BookkeeperCluster %s/%s is being driven by another run (%s), which holds Lease %s%s; wait for it to "
            "finish, or for the lease to expire if that run was stopped"
            % (
                self.namespace,
                self.name,
                holder,
                self.lease_name,
                " until %s" % cond.format_time(expires) if expires else "",
            )
        )

    def renew(self, now):
        if self.lease_renewed is None or (now - self.lease_renewed).total_seconds() < LEASE_SECONDS / 3.0:
            return
        lease = self._read_lease()
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.holder:
            raise KubeError("lost Lease %s/%s to another run; stopping" % (self.namespace, self.lease_name), True)
        try:
            retrying(
                "renewing Lease %s" % self.lease_name,
                self.coordination.replace_namespaced_lease,
                self.lease_name,
                self.namespace,
                self._lease_body(now, lease),
            )
        except ApiException as error:
            raise api_error(error, "renewing Lease %s/%s" % (self.namespace, self.lease_name))
        self.lease_renewed = now

    def release(self):
        if self.lease_renewed is None:
            return
        lease = self._read_lease()
        self.lease_renewed = None
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.holder:
            return
        options = k8s.V1DeleteOptions(
            preconditions=k8s.V1Preconditions(resource_version=lease["metadata"]["resourceVersion"])
        )
        try:
            self.coordination.delete_namespaced_lease(self.lease_name, self.namespace, body=options)
        except ApiException as error:
            if error.status not in (404, 409):
                raise api_error(error, "releasing Lease %s/%s" % (self.namespace, self.lease_name))


# Where each kind the deploy role manages lives: (API prefix, plural, namespaced).
_PATHS = {
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
    KIND: ("/apis/" + resource.API_VERSION, PLURAL, True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Service": ("/api/v1", "services", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
}
_VOLATILE = ("resourceVersion", "generation", "managedFields", "uid", "creationTimestamp")


def _path(obj):
    prefix, plural, namespaced = _PATHS[obj["kind"]]
    metadata = obj["metadata"]
    if namespaced:
        return "%s/namespaces/%s/%s/%s" % (prefix, metadata["namespace"], plural, metadata["name"])
    return "%s/%s/%s" % (prefix, plural, metadata["name"])


def _call(client, path, method, body=None, query=None, content_type="application/json"):
    response = client.call_api(
        path,
        method,
        query_params=query or [],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _return_http_data_only=True,
    )
    return _json(response)


def _comparable(obj):
    """The object without the fields the server changes on every write."""
    result = {key: value for key, value in (obj or {}).items() if key != "status"}
    result["metadata"] = {key: value for key, value in (obj or {}).get("metadata", {}).items() if key not in _VOLATILE}
    return result


def apply_object(client, obj, dry_run=False):
    """Server-side apply ``obj``; returns (changed, applied object). Dry run writes nothing."""
    path = _path(obj)
    what = "applying %s %s" % (obj["kind"], obj["metadata"]["name"])
    try:
        try:
            existing = retrying(what, _call, client, path, "GET")
        except ApiException as error:
            if error.status != 404:
                raise
            existing = None
        query = [("fieldManager", resource.FIELD_MANAGER), ("force", "true")]
        if dry_run:
            query.append(("dryRun", "All"))
        applied = retrying(what, _call, client, path, "PATCH", obj, query, "application/apply-patch+yaml")
    except ApiException as error:
        raise api_error(error, what)
    return _comparable(existing) != _comparable(applied), applied
