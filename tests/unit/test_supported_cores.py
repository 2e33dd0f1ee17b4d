"""Every ansible-core that meta/runtime.yml admits is tested: requirements/dev.txt's, and requirements/core-*.txt's.

`make cores` runs the unit tests on each older core and tests/integration/test_cores.py one rollout each.
"""

import pathlib
import re

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]


def pinned_core(requirements):
    versions = re.findall(r"^ansible-core==(\d+)\.(\d+)\.\d+$", requirements.read_text(), re.M)
    assert len(versions) == 1, "%s pins no single ansible-core" % requirements.name
    return tuple(int(part) for part in versions[0])


def test_requires_ansible_starts_at_the_oldest_tested_core_and_every_core_since_is_tested():
    tested = {pinned_core(REPO / "requirements" / "dev.txt")}
    for requirements in (REPO / "requirements").glob("core-*.txt"):
        core = pinned_core(requirements)
        assert requirements.name == "core-%d.%d.txt" % core, "%s pins ansible-core %s" % (requirements.name, core)
        tested.add(core)
    requires = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    match = re.fullmatch(r">=(\d+)\.(\d+)\.0", requires)
    assert match, "requires_ansible %r is not a lower bound >=X.Y.0" % requires
    oldest, newest = (int(match.group(1)), int(match.group(2))), max(tested)
    assert min(tested) == oldest, "requires_ansible %s, but the oldest core tested is %s" % (requires, min(tested))
    untested = [(2, minor) for minor in range(oldest[1], newest[1] + 1) if (2, minor) not in tested]
    assert not untested, "ansible-core %s admitted by requires_ansible but not tested" % untested
