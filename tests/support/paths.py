"""Where the repository is, and the script that runs its local control planes."""

import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO / "scripts" / "cluster.sh"
