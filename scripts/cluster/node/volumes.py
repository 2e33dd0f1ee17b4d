#!/usr/bin/env python3
"""The real node's volume provisioner: a folder on the node for each PersistentVolumeClaim of the
``node-local`` class, as kind's local-path provisioner gives one on a kind cluster.

Usage: volumes.py --kubeconfig PATH --root DIR

Every second it lists the claims and the volumes. A claim of the class without a volume gets a hostPath
PersistentVolume bound to it (``claimRef`` with its uid) on a folder ``DIR/<namespace>/<claim>-<uid>``;
a volume of this provisioner whose claim is gone (``Released``) is removed with its folder. The bookies
of a StatefulSet keep their claims, so a replaced bookie finds its journal and ledgers again.
"""

import argparse
import json
import pathlib
import shutil
import signal
import ssl
import sys
import time
import urllib.error
import urllib.request

import yaml

CLASS = "node-local"
PROVISIONER = "bookkeeper-ops.local/node-volumes"
REQUEST_SECONDS = 10


class Api:
    """GET, POST and DELETE on the API server with the kubeconfig's client certificate, each bounded."""

    def __init__(self, kubeconfig):
        config = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        self.server = cluster["server"].rstrip("/")
        self.context = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.context.load_cert_chain(user["client-certificate"], user["client-key"])

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, context=self.context, timeout=REQUEST_SECONDS) as answer:
            return json.loads(answer.read())


def say(message):
    print("[volumes %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def volume_for(claim, root):
    """The PersistentVolume that serves ``claim`` from a folder of its own under ``root``."""
    meta, spec = claim["metadata"], claim["spec"]
    folder = root / meta["namespace"] / ("%s-%s" % (meta["name"], meta["uid"][:8]))
    return folder, {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": "pvc-%s" % meta["uid"],
            "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
        },
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": CLASS,
            "hostPath": {"path": str(folder), "type": "DirectoryOrCreate"},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
        },
    }


def ours(claim):
    spec = claim["spec"]
    return spec.get("storageClassName") == CLASS and not spec.get("volumeName")


def reconcile(api, root):
    claims = api.call("GET", "/api/v1/persistentvolumeclaims")["items"]
    volumes = api.call("GET", "/api/v1/persistentvolumes")["items"]
    named = {volume["metadata"]["name"] for volume in volumes}
    for claim in filter(ours, claims):
        folder, volume = volume_for(claim, root)
        if volume["metadata"]["name"] in named or claim["metadata"].get("deletionTimestamp"):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        api.call("POST", "/api/v1/persistentvolumes", volume)
        say("%s/%s: volume %s" % (claim["metadata"]["namespace"], claim["metadata"]["name"], folder))
    for volume in volumes:
        annotations = volume["metadata"].get("annotations") or {}
        if annotations.get("pv.kubernetes.io/provisioned-by") != PROVISIONER:
            continue
        if (volume.get("status") or {}).get("phase") in ("Released", "Failed"):
            folder = pathlib.Path(volume["spec"]["hostPath"]["path"])
            if root in folder.parents:
                shutil.rmtree(folder, ignore_errors=True)
            api.call("DELETE", "/api/v1/persistentvolumes/%s" % volume["metadata"]["name"])
            say("volume %s removed with its folder" % volume["metadata"]["name"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    root = pathlib.Path(args.root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    api = Api(args.kubeconfig)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    say("provisioning %s volumes under %s" % (CLASS, root))
    while True:
        try:
            reconcile(api, root)
        except (OSError, ValueError, urllib.error.URLError) as error:
            say("API server: %s; trying again" % error)
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
