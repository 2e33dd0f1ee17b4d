# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type

DOCUMENTATION = r"""
name: bk_clusters
short_description: Every BookkeeperCluster of one or more Kubernetes clusters, one inventory host each
version_added: 1.1.0
author: bookkeeper.ops maintainers (@bookkeeper-ops)
description:
  - Lists the BookkeeperCluster resources (C(bookkeeper.pravega.io/v1alpha1)) that each configured connection can
    see and makes each one an inventory host, so that a cluster created later joins the fleet at the next run without
    editing a file.
  - A host is named C(<connection>/<namespace>/<cluster>) and carries what the fleet playbooks need to reach it,
    C(bookkeeper_cluster), C(bookkeeper_namespace), C(k8s_connection) and C(k8s_auth), the connection options as the
    configuration file gives them. It also carries C(bookkeeper_labels) (the resource's labels), C(bookkeeper_version)
    (C(spec.version)) and C(bookkeeper_current_version) (C(status.currentVersion)), for O(groups), O(keyed_groups)
    and O(compose), for example a C(canary) group chosen by a label.
  - The configuration file's name must end in C(bk_clusters.yml) or C(bk_clusters.yaml).
  - Connections are made as the bk_* modules make them, options first, then the E(K8S_AUTH_*) variables, the pod's
    service account and the default kubeconfig.
options:
  plugin:
    description: The name of this plugin, to tell its configuration files apart.
    type: str
    required: true
    choices: [bookkeeper.ops.bk_clusters]
  connections:
    description:
      - The Kubernetes clusters to look in, one entry each. An entry takes C(name), the label of the connection in host
        names and in C(k8s_connection) (default its C(context), else its C(host), else C(default)), and the connection
        options of the bk_* modules that name no secret, C(kubeconfig) (a path), C(context), C(host),
        C(validate_certs), C(ca_cert), C(client_cert), C(client_key), C(proxy), C(no_proxy), C(persist_config),
        C(impersonate_user), C(impersonate_groups), and their aliases.
      - An empty entry uses the E(K8S_AUTH_*) variables or the default kubeconfig.
      - Secrets (C(api_key), C(password), C(proxy_headers), a kubeconfig given inline) are refused, because every
        host's variables would show them; give them in a kubeconfig file or in E(K8S_AUTH_*) variables.
      - E(VARIABLE) references and C(~) in C(kubeconfig) are expanded when the plugin connects, and again when the
        fleet playbooks connect, so that a path an AWX credential gives in a variable works in both.
    type: list
    elements: dict
    default: [{}]
  namespaces:
    description:
      - Only these namespaces. Empty means every namespace the connection may list BookkeeperClusters in.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.constructed
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
# fleet.bk_clusters.yml: every BookkeeperCluster of two contexts of one kubeconfig, the clusters labelled
# bookkeeper.ops/canary=true in the group canary, and a group per Kubernetes cluster.
plugin: bookkeeper.ops.bk_clusters
connections:
  - context: east
    kubeconfig: ~/.kube/fleet.yaml
  - context: west
    kubeconfig: ~/.kube/fleet.yaml
groups:
  canary: bookkeeper_labels['bookkeeper.ops/canary'] | default('') == 'true'
keyed_groups:
  - key: k8s_connection
    prefix: k8s

# In AWX, a credential per Kubernetes cluster gives its kubeconfig's path in a variable of its own;
# only two namespaces are looked in.
# plugin: bookkeeper.ops.bk_clusters
# connections:
#   - name: east
#     kubeconfig: $BOOKKEEPER_KUBECONFIG_EAST
# namespaces: [tenant-a, tenant-b]
"""

import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import errors, resource
from ansible_collections.bookkeeper.ops.plugins.module_utils.core.args import AUTH_ARG_SPEC
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s import connection as k8s_connection
from ansible_collections.bookkeeper.ops.plugins.module_utils.edge.k8s.http_door import Door

# Options that would put a secret into every host's variables.
SECRETS = ("api_key", "password", "proxy_headers")
ALIASES = {
    alias: option
    for option, spec in AUTH_ARG_SPEC.items()
    if option not in SECRETS
    for alias in spec.get("aliases") or []
}
ALLOWED = sorted(set(ALIASES) | {option for option in AUTH_ARG_SPEC if option not in SECRETS})


def expand(path):
    """A kubeconfig path with its $VARIABLE references and ~ expanded."""
    return os.path.expanduser(os.path.expandvars(path))


def connection_entry(index, entry):
    """(name, options) of one ``connections`` entry, the options under their module names; AnsibleParserError else."""
    where = "connections[%d]" % index
    if not isinstance(entry, dict):
        raise AnsibleParserError("%s must be a dictionary of connection options, not %r" % (where, entry))
    options = {}
    for key, value in entry.items():
        if key == "name":
            continue
        if key in SECRETS:
            raise AnsibleParserError(
                "%s: %s would be shown in every host's variables; put it in a kubeconfig file or in the K8S_AUTH_%s "
                "variable" % (where, key, key.upper())
            )
        option = ALIASES.get(key, key)
        if option not in AUTH_ARG_SPEC or option in SECRETS:
            raise AnsibleParserError("%s: unknown option %r; allowed: name, %s" % (where, key, ", ".join(ALLOWED)))
        if option == "kubeconfig" and not isinstance(value, str):
            raise AnsibleParserError(
                "%s: kubeconfig must be the path of a file; an inline kubeconfig would be shown in every host's "
                "variables" % where
            )
        options[option] = value
    name = entry.get("name") or options.get("context") or options.get("host") or "default"
    return str(name), options


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "bookkeeper.ops.bk_clusters"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("bk_clusters.yml", "bk_clusters.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if k8s_connection.KUBERNETES_IMPORT_ERROR is not None:
            raise AnsibleError(
                "the bookkeeper.ops.bk_clusters inventory needs the kubernetes Python library: %s"
                % (k8s_connection.KUBERNETES_IMPORT_ERROR)
            )
        connections = self.get_option("connections") or [{}]
        namespaces = self.get_option("namespaces") or []
        seen = set()
        for index, entry in enumerate(connections):
            name, options = connection_entry(index, entry)
            if name in seen:
                raise AnsibleParserError(
                    "connections[%d]: a second connection named %r; give each a distinct name" % (index, name)
                )
            seen.add(name)
            for cluster in self._clusters(name, options, namespaces):
                self._add(name, options, cluster)

    def _clusters(self, name, options, namespaces):
        """The BookkeeperClusters connection ``name`` shows, in the namespaces asked for (all when none)."""
        params = dict(options)
        if params.get("kubeconfig"):
            params["kubeconfig"] = expand(params["kubeconfig"])
        try:
            client = k8s_connection.api_client(params)
            custom = k8s_connection.k8s.CustomObjectsApi(client)
            door = Door(client.configuration.host)
            if not namespaces:
                return self._list(
                    door, name, custom.list_cluster_custom_object, resource.GROUP, resource.VERSION, resource.PLURAL
                )
            items = []
            for namespace in namespaces:
                items += self._list(
                    door,
                    name,
                    custom.list_namespaced_custom_object,
                    resource.GROUP,
                    resource.VERSION,
                    namespace,
                    resource.PLURAL,
                )
            return items
        except errors.KubeError as error:
            raise AnsibleParserError("connection %s: %s" % (name, error)) from error

    @staticmethod
    def _list(door, name, call, *arguments):
        return door.request("listing the BookkeeperClusters of connection %s" % name, call, *arguments)["items"]

    def _add(self, connection, options, cluster):
        metadata = cluster["metadata"]
        host = "%s/%s/%s" % (connection, metadata["namespace"], metadata["name"])
        self.inventory.add_host(host)
        variables = {
            "bookkeeper_cluster": metadata["name"],
            "bookkeeper_namespace": metadata["namespace"],
            "bookkeeper_labels": metadata.get("labels") or {},
            "bookkeeper_version": (cluster.get("spec") or {}).get("version") or "",
            "bookkeeper_current_version": (cluster.get("status") or {}).get("currentVersion") or "",
            "k8s_connection": connection,
            "k8s_auth": options,
            # Every task runs on the controller, which reaches the API server.
            "ansible_connection": "local",
        }
        for key, value in variables.items():
            self.inventory.set_variable(host, key, value)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
