"""The demo runs as the README says, and prints what the README shows."""

import os
import re
import subprocess

from ansible_collections.bookkeeper.ops.tests.support.paths import REPO


def normalized(line):
    """A line with its times, ages, durations and generated names blurred."""
    line = re.sub(r"\d", "0", line.rstrip())
    return re.sub(r"0+", "0", re.sub(r"\s+", " ", line))


def test_the_demo_prints_what_the_readme_shows(kubeconfig):
    result = subprocess.run(
        [str(REPO / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, BK_DEMO_NAMESPACE="bookkeeper-demo"),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "[WARNING]" in line]
    assert warnings == [], "the demo warns a newcomer:\n" + "\n".join(warnings)
    readme = (REPO / "README.md").read_text()
    shown = readme.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    printed = {normalized(line) for line in result.stdout.splitlines()}
    missing = [line for line in shown if line.strip() not in ("", "...") and normalized(line) not in printed]
    assert not missing, "README lines the demo no longer prints:\n" + "\n".join(missing)
    assert "Timeline (UTC, seconds since the demo began)" in result.stdout
    assert (
        "Error              True  UpgradeFailed, pod bookkeeper-bookie-0 update failed because of "
        "ImagePullBackOff" in result.stdout
    )
    assert "RollbackInProgress True  Updating Bookkeeper" in result.stdout
