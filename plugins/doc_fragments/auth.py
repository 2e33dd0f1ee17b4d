# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)


__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options, with the names, aliases and variables kubernetes.core users know.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig itself as a dictionary.
      - Read from E(K8S_AUTH_KUBECONFIG) when not given. When neither this, O(context) nor O(host) with credentials
        (O(api_key), O(username) and O(password), or O(client_cert) and O(client_key)) is set, the pod's service
        account is used inside a pod; outside a pod, or in a pod without a service-account token, E(KUBECONFIG) or
        C(~/.kube/config).
    type: raw
  context:
    description:
      - The kubeconfig context to use. Read from E(K8S_AUTH_CONTEXT) when not given.
    type: str
  host:
    description:
      - URL of the Kubernetes API server. Read from E(K8S_AUTH_HOST) when not given. A trailing C(/) is ignored.
    type: str
  api_key:
    description:
      - Bearer token for the API server. Read from E(K8S_AUTH_API_KEY) when not given. Never shown in output.
    type: str
  username:
    description:
      - User name for basic authentication. Read from E(K8S_AUTH_USERNAME) when not given.
    type: str
  password:
    description:
      - Password for basic authentication. Read from E(K8S_AUTH_PASSWORD) when not given. Never shown in output.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's certificate. Verification is on unless this is set to V(false).
      - Read from E(K8S_AUTH_VALIDATE_CERTS), then E(K8S_AUTH_VERIFY_SSL), when not given. These variables take
        Ansible's boolean spellings in any letter case, V(true), V(yes), V(on), V(y), V(t), V(1) or V(false), V(no),
        V(off), V(n), V(f), V(0); any other value fails the task before the API server is contacted, so that a typo
        never turns certificate checks off.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the certificate authority that signed the API server's certificate.
      - Read from E(K8S_AUTH_CA_CERT), then E(K8S_AUTH_SSL_CA_CERT), when not given.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate. Read from E(K8S_AUTH_CLIENT_CERT), then E(K8S_AUTH_CERT_FILE), when not given.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert). Read from E(K8S_AUTH_CLIENT_KEY), then E(K8S_AUTH_KEY_FILE), when not
        given.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP proxy to reach the API server through. Read from E(K8S_AUTH_PROXY) when not given.
    type: str
  no_proxy:
    description:
      - Comma-separated hosts, domains or CIDRs to reach without the proxy. Read from E(K8S_AUTH_NO_PROXY) when not
        given.
    type: str
  proxy_headers:
    description:
      - Headers sent to the proxy.
      - When not given, each suboption is read from its variable.
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy. Variable E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH).
        type: str
      basic_auth:
        description:
          - C(user:password) sent as basic authentication. Variable E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH).
        type: str
      user_agent:
        description:
          - The User-Agent header. Variable E(K8S_AUTH_PROXY_HEADERS_USER_AGENT).
        type: str
  persist_config:
    description:
      - Accepted for compatibility with kubernetes.core. Refreshed tokens are never written back to the kubeconfig.
      - Read from E(K8S_AUTH_PERSIST_CONFIG) when not given, with the boolean spellings of O(validate_certs).
    type: bool
  impersonate_user:
    description:
      - A user to act as. Read from E(K8S_AUTH_IMPERSONATE_USER) when not given.
    type: str
  impersonate_groups:
    description:
      - Groups to act as, each sent in an C(Impersonate-Group) header of its own.
      - Read from E(K8S_AUTH_IMPERSONATE_GROUPS), comma-separated, when not given.
    type: list
    elements: str
notes:
  - Options given to the task win over the E(K8S_AUTH_*) variables, which win over the in-cluster service account and
    the default kubeconfig, as in kubernetes.core. They also win when a kubeconfig user or the service account
    refreshes its token. An empty variable counts as unset.
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
"""
