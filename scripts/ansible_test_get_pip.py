"""A stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test fetches that script from its own file host, which these machines
cannot reach; they do reach PyPI. This script gives the empty virtual
environment pip through the standard library's ensurepip and then installs
what ansible-test asked for (``pip==<version>`` and friends) from PyPI. The
Makefile puts it where ansible-test looks for its cached copy.
"""

import ensurepip
import os
import subprocess
import sys

config_file = os.environ.get("PIP_CONFIG_FILE")
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null for itself; the machine's pip
# settings (its CA bundle, mirrors) must apply to the real install.
if config_file is None:
    os.environ.pop("PIP_CONFIG_FILE", None)
else:
    os.environ["PIP_CONFIG_FILE"] = config_file
# get-pip.py accepts these switches, pip install does not.
arguments = [argument for argument in sys.argv[1:] if argument not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
