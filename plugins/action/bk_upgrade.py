# Copyright: the bookkeeper.ops authors
# Apache License 2.0 (see LICENSE)
"""Runs the bk_upgrade module and prints the cluster's progress on the controller while it waits."""

__metaclass__ = type

from ansible_collections.bookkeeper.ops.plugins.plugin_utils.progress import ProgressAction


class ActionModule(ProgressAction):
    pass
