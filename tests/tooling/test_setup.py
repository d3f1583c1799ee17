"""scripts/setup.sh when several checkouts (or CI beside a working copy) run it at once against one cache, and
when the cached venv is broken. It runs against a cache of its own (SANFLEET_CACHE in a temp folder: the shared
venv other sessions use is never touched) with a stub Python first on PATH: `-m venv` makes a venv whose
bin/python is the stub again, `-m pip install` takes a second and records who ran it, `-m pip download` writes a
wheel holding a netapp.ontap MANIFEST.json; anything else runs the real interpreter. dpkg is stubbed to say every
host package is there."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STUB = textwrap.dedent("""\
    #!/bin/sh
    # a stand-in Python for scripts/setup.sh (tests/tooling/test_setup.py)
    if [ "$1" = -m ] && [ "$2" = venv ]; then
      mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && touch "$3/pyvenv.cfg"
      exit 0
    fi
    if [ "$1" = -m ] && [ "$2" = pip ]; then
      bin=$(dirname "$0")
      case "$3" in
        install)
          echo "start $$ $bin" >> "$SETUP_LOG"
          sleep 1
          [ -d "$bin" ] || { echo "gone $$ $bin" >> "$SETUP_LOG"; exit 1; }
          printf '#!/bin/sh\\n' > "$bin/ansible-playbook" && chmod +x "$bin/ansible-playbook"
          echo "end $$ $bin" >> "$SETUP_LOG"
          exit 0;;
        download)
          shift 3
          while [ "$1" != -d ]; do shift; done
          exec "$REAL_PYTHON" -c 'import sys, zipfile
    with zipfile.ZipFile(sys.argv[1] + "/ansible-0-py3-none-any.whl", "w") as z:
        z.writestr("ansible_collections/netapp/ontap/MANIFEST.json", "{}")' "$2";;
      esac
      exit 0
    fi
    exec "$REAL_PYTHON" "$@"
""")


def _env(tmp_path):
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / "python3.14").write_text(STUB)
    (stubs / "dpkg").write_text("#!/bin/sh\nexit 0\n")
    for name in ("python3.14", "dpkg"):
        (stubs / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANFLEET_", "VIRTUAL_ENV"))}
    env.update(PATH="%s%s/usr/bin:/bin" % (stubs, os.pathsep), SANFLEET_CACHE=str(tmp_path / "cache"),
               SETUP_LOG=str(tmp_path / "installs.log"), REAL_PYTHON=sys.executable, HOME=str(tmp_path / "home"))
    return env


def _setup(env):
    return subprocess.Popen(["bash", str(ROOT / "scripts" / "setup.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _exported(stdout, name):
    return next(line.split("=", 1)[1].strip("'") for line in stdout.splitlines()
                if line.startswith("export %s=" % name))


def _installs(tmp_path):
    log = tmp_path / "installs.log"
    return log.read_text().splitlines() if log.exists() else []


def test_two_setups_at_once_build_one_venv_and_neither_removes_the_other(tmp_path):
    """Two setup.sh runs at once: each removed the venv (rm -rf) the other was installing into, both installed at
    the same time, and one of them could end with a venv that lacks what it installed. Now one builds (under the
    lock, aside, renamed into place), the other waits and takes it."""
    env = _env(tmp_path)
    procs = [_setup(env) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err[-3000:]
    venvs = {_exported(out, "SANFLEET_VENV") for out, _ in outs}
    assert len(venvs) == 1
    venv = Path(venvs.pop())
    log = _installs(tmp_path)
    # one build of the venv (pip itself, then the requirements), never two at once, nothing removed under it
    assert [line.split()[0] for line in log] == ["start", "end", "start", "end"], log
    assert len({line.split()[2] for line in log}) == 1, log
    assert (venv / ".complete").is_file() and os.access(venv / "bin" / "python", os.X_OK)
    assert (venv / "bin" / "ansible-playbook").exists()
    coll = Path(_exported(outs[0][0], "SANFLEET_ONTAP_TREE"))
    assert (coll / "ansible_collections" / "netapp" / "ontap" / "MANIFEST.json").is_file()
    # a third run finds everything in place and builds nothing
    out, err = _setup(env).communicate(timeout=60)
    assert len(_installs(tmp_path)) == 4 and _exported(out, "SANFLEET_VENV") == str(venv), err


def test_a_venv_without_bin_python_is_rebuilt(tmp_path):
    """A venv left with .complete (and its scripts) but no bin/python, after an interrupted rebuild or a cleanup,
    was taken as it was: every command of the session then failed with "No such file or directory"."""
    env = _env(tmp_path)
    out, err = _setup(env).communicate(timeout=60)
    venv = Path(_exported(out, "SANFLEET_VENV"))
    (venv / "bin" / "python").unlink()
    assert (venv / ".complete").is_file() and (venv / "bin" / "ansible-playbook").exists()
    proc = _setup(env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    assert _exported(out, "SANFLEET_VENV") == str(venv)
    assert os.access(venv / "bin" / "python", os.X_OK) and (venv / ".complete").is_file()
    assert len(_installs(tmp_path)) == 8
    # nothing of the broken one is left beside the new build
    assert len(list((tmp_path / "cache" / "builds").glob(venv.name + ".*"))) == 1


def test_each_checkout_lints_with_a_cache_of_its_own(tmp_path):
    """ansible-lint (offline: true, ANSIBLE_COLLECTIONS_PATH set) keeps its cache in ANSIBLE_HOME, ~/.ansible by
    default, and creates and removes the mock roles of .ansible-lint there on every run: two checkouts linting at
    once removed each other's mock role and failed. setup.sh gives each checkout its own ANSIBLE_HOME, and
    ansible-lint's own option loading takes its cache from there."""
    import shutil
    env = _env(tmp_path)
    homes = []
    for name in ("one", "two"):
        top = tmp_path / name
        (top / "scripts").mkdir(parents=True)
        for script in ("setup.sh", "ansible-test-get-pip.py"):
            shutil.copy(ROOT / "scripts" / script, top / "scripts" / script)
        shutil.copy(ROOT / "requirements-dev.txt", top / "requirements-dev.txt")
        proc = subprocess.run(["bash", str(top / "scripts" / "setup.sh")], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        homes.append(_exported(proc.stdout, "ANSIBLE_HOME"))
    assert homes[0] != homes[1] and all(h.startswith(str(tmp_path / "cache")) for h in homes)
    code = ("from ansiblelint.__main__ import initialize_options\nfrom ansiblelint.config import options\n"
            "initialize_options([])\nprint(options.cache_dir)")
    lint_env = dict(os.environ, ANSIBLE_HOME=homes[0])
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), env=lint_env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == homes[0]
