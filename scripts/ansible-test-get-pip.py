"""Stand-in for the get-pip bootstrap script that ansible-test downloads from a CI host.

That host is not reachable from our machines, but PyPI is. ansible-test runs this file inside each
fresh virtual environment as `python get_pip.py [pip options] pip==X [--no-setuptools] [--no-wheel]`,
with an environment stripped of PIP_* settings; so we install pip from the interpreter's bundled
wheel, give the venv the pip settings of the machine as environment (setup.sh writes them into PIP_SETTINGS below:
a proxy's CA bundle, a mirror), and let pip fetch the pinned pip from the index.
"""
import ensurepip
import os
import subprocess
import sys
import sysconfig

PIP_SETTINGS = {}  # filled in by scripts/setup.sh

if PIP_SETTINGS:
    # A .pth line runs at every interpreter start in this venv, so each later pip call that
    # ansible-test makes (with its stripped environment and no config files) sees them too.
    site = sysconfig.get_paths()["purelib"]
    with open(os.path.join(site, "sanfleet_pip_settings.pth"), "w") as pth:
        pth.write("import os; os.environ.update(%r)\n" % {
            "PIP_" + key.upper().replace("-", "_"): value for key, value in PIP_SETTINGS.items()})
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
