#!/usr/bin/env bash
# setup.sh — everything a fresh machine needs, idempotent and cached outside the checkout.
#
#   scripts/setup.sh            prints the environment to use (eval-able lines)
#   source <(scripts/setup.sh)  the same, applied to this shell
#   scripts/setup.sh --core 2.16.19   the same with another ansible-core (the test matrix: scripts/test.sh matrix),
#                               in a venv of its own: that ansible-core plus scripts/requirements-core-matrix.txt
#   scripts/setup.sh --target-python 3.6   the same with a venv of that Python (3.6 or 3.13: the oldest and newest
#                               the modules run on, scripts/test.sh stages py3.6 and py3.13) holding
#                               scripts/requirements-target-py<VERSION>.txt: pytest, Hypothesis and the ansible-core
#                               whose AnsibleModule the modules' tests run
#
# What it does:
#   1. finds a Python >= 3.12 (PATH, then pyenv, then common prefixes);
#   2. makes a venv keyed by the hash of requirements-dev.txt and installs the pinned tools (under a lock, built
#      aside and renamed into place, so that setup.sh runs of several checkouts at once share one cache safely;
#      a venv that lost its bin/python is rebuilt);
#   3. installs netapp.ontap into the project's own collections tree, taken from the PyPI `ansible`
#      package (Galaxy is not needed), and links this checkout in as sanfleet.remediation;
#   4. gives the checkout an ANSIBLE_HOME of its own: ansible-lint (offline, with ANSIBLE_COLLECTIONS_PATH set) keeps
#      its cache, with the mock roles of .ansible-lint that it creates and removes on every run, in ANSIBLE_HOME
#      (ansible_compat.prerun.get_cache_dir); with ~/.ansible shared, two checkouts' lint runs removed each other's
#      mocks. ansible-test keeps using ~/.ansible/test;
#   5. installs the host packages the SAN lab needs (qemu, debootstrap) and chromium (the fleet report's
#      browser test) when they are missing.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SANFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sanfleet}
REQ="$TOP/requirements-dev.txt"
HASH=$(sha256sum "$REQ" | cut -c1-12)
VENV="$CACHE/venv-$HASH"
COLL="$CACHE/collections-$HASH"
CORE= TARGET_PY=
log() { printf '[setup] %s\n' "$*" >&2; }
if [ "${1:-}" = --core ]; then
  CORE=${2:?--core needs an ansible-core version, e.g. 2.16.19}
  CORE_REQ="$TOP/scripts/requirements-core-matrix.txt"
  VENV="$CACHE/venv-core$CORE-$( (cat "$CORE_REQ"; echo "ansible-core==$CORE") | sha256sum | cut -c1-12)"
elif [ "${1:-}" = --target-python ]; then
  TARGET_PY=${2:?--target-python needs a Python version, e.g. 3.6}
  TARGET_REQ="$TOP/scripts/requirements-target-py$TARGET_PY.txt"
  [ -f "$TARGET_REQ" ] || { log "no $TARGET_REQ: the target Pythons tested are $(cd "$TOP/scripts" &&
                            ls requirements-target-py*.txt | sed 's/requirements-target-py\(.*\)\.txt/\1/' | xargs)"; exit 1; }
  VENV="$CACHE/venv-py$TARGET_PY-$(sha256sum "$TARGET_REQ" | cut -c1-12)"
  # the controller's venv and collections tree first (this run prints only the target venv's environment)
  "$TOP/scripts/setup.sh" >/dev/null
fi

find_python() {
  local cand v
  for cand in python3.14 python3.13 python3.12 python3 \
              "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 \
              /usr/local/bin/python3.1[2-9] /opt/python*/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ] || continue
    v=$("$cand" -c 'import sys; print(int(sys.version_info >= (3, 12)))' 2>/dev/null) || continue
    [ "$v" = 1 ] && { command -v "$cand" 2>/dev/null || echo "$cand"; return 0; }
  done
  return 1
}

find_target_python() {  # python<VERSION> on PATH, then pyenv's build of it
  local cand
  for cand in "python$TARGET_PY" "$HOME"/.pyenv/versions/"$TARGET_PY".*/bin/"python$TARGET_PY"; do
    command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ] || continue
    "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, sys.argv[1].split("."))))' "$TARGET_PY" \
      2>/dev/null && { command -v "$cand" 2>/dev/null || echo "$cand"; return 0; }
  done
  return 1
}

# Several checkouts (and CI beside them) share $CACHE and run this at the same time: one lock serialises the
# builds, every build happens aside (a directory of its own) and is put into place by a rename, so a venv or tree
# that someone uses is never removed under them, and a broken one (.complete but no working bin/python) is healed.
LOCK="$CACHE/.setup.lock"
locked() {  # locked CMD...: run CMD holding the cache's lock (another setup.sh may be building: wait for it)
  mkdir -p "$CACHE"
  ( flock -w 3600 9 || { log "waited an hour for $LOCK"; exit 1; }; "$@" ) 9>"$LOCK"
}
put_in_place() {  # put_in_place LINK DEST: DEST becomes the link LINK by one rename; what DEST was goes away after
  local old=
  if [ -L "$2" ]; then
    old=$(readlink "$2")
    case "$old" in "$CACHE"/builds/*) ;; *) old= ;; esac
  elif [ -e "$2" ]; then
    old="$CACHE/builds/.old-$(basename "$2")-$$"
    mv -T "$2" "$old"
  fi
  mv -T "$1" "$2"
  [ -z "$old" ] || [ "$old" = "$(readlink "$2")" ] || rm -rf "$old"
}
venv_ok() {
  [ -f "$1/.complete" ] && [ -x "$1/bin/ansible-playbook" ] && "$1/bin/python" -c '' >/dev/null 2>&1
}
build_venv() {
  venv_ok "$VENV" && return 0  # built by the setup.sh we waited for
  local py build
  if [ -n "$TARGET_PY" ]; then
    py=$(find_target_python) || { log "no Python $TARGET_PY found (PATH, ~/.pyenv/versions); install one"; return 1; }
  else
    py=$(find_python) || { log "no Python >= 3.12 found (PATH, ~/.pyenv/versions); install one"; return 1; }
  fi
  mkdir -p "$CACHE/builds"
  build=$(mktemp -d "$CACHE/builds/$(basename "$VENV").XXXXXX")
  chmod 755 "$build"
  log "creating $VENV (in $build) with $py ($("$py" -V 2>&1))"
  "$py" -m venv "$build"
  # pip 21.3 is the last for Python 3.6 (a newer one refuses to install there)
  "$build/bin/python" -m pip install -q --upgrade "pip$([ "$TARGET_PY" = 3.6 ] && echo '<22')" >&2
  if [ -n "$CORE" ]; then
    "$build/bin/python" -m pip install -q "ansible-core==$CORE" -r "$CORE_REQ" >&2
  elif [ -n "$TARGET_PY" ]; then
    # ansible-core apart, without its dependencies and whatever its Requires-Python says: the tests import its
    # module_utils only (AnsibleModule), the code a controller of that version sends to a host of this Python
    "$build/bin/python" -m pip install -q -r <(grep -v '^ansible-core==' "$TARGET_REQ") >&2
    "$build/bin/python" -m pip install -q --no-deps --ignore-requires-python "$(grep '^ansible-core==' "$TARGET_REQ")" >&2
  else
    "$build/bin/python" -m pip install -q -r "$REQ" >&2
  fi
  touch "$build/.complete"
  # $VENV is a link to the build (a venv cannot move: its scripts name their own path)
  ln -sfn "$build" "$VENV.new.$$"
  put_in_place "$VENV.new.$$" "$VENV"
}
if ! venv_ok "$VENV"; then
  locked build_venv
fi

# netapp.ontap from the `ansible` wheel: only that collection is unpacked.
ONTAP_VERSION_WANTED=$(sed -n 's/^# netapp.ontap from ansible==\(.*\)$/\1/p' "$REQ")
unpack_ontap() {
  [ -f "$COLL/ansible_collections/netapp/ontap/MANIFEST.json" ] && return 0
  log "unpacking netapp.ontap from ansible==$ONTAP_VERSION_WANTED"
  local tmp build
  mkdir -p "$CACHE/builds"
  tmp=$(mktemp -d)
  build=$(mktemp -d "$CACHE/builds/$(basename "$COLL").XXXXXX")
  chmod 755 "$build"
  "$VENV/bin/python" -m pip download -q --no-deps -d "$tmp" "ansible==$ONTAP_VERSION_WANTED" >&2
  "$VENV/bin/python" - "$tmp"/ansible-*.whl "$build" <<'PYEOF'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf:
    members = [m for m in zf.namelist() if m.startswith("ansible_collections/netapp/ontap/")]
    zf.extractall(dest, members)
PYEOF
  rm -rf "$tmp"
  test -f "$build/ansible_collections/netapp/ontap/MANIFEST.json"
  # the checkouts' links name $COLL/ansible_collections/...: $COLL is a link to the build, switched by a rename
  ln -sfn "$build" "$COLL.new.$$"
  put_in_place "$COLL.new.$$" "$COLL"
}
if [ ! -f "$COLL/ansible_collections/netapp/ontap/MANIFEST.json" ]; then
  locked unpack_ontap
fi
# Each checkout gets its own tree (a CI clone and a working copy must never import each other's code):
# netapp.ontap linked from the shared cache, this checkout linked in as sanfleet.remediation.
TREE="$CACHE/checkouts/$(printf '%s' "$TOP" | sha256sum | cut -c1-12)"
mkdir -p "$TREE/ansible_collections/sanfleet" "$TREE/ansible_collections/netapp"
link() {  # link TARGET NAME: NAME points to TARGET, replaced by a rename (ln -sfn unlinks first: a moment without)
  [ "$(readlink "$2" 2>/dev/null)" = "$1" ] && return 0
  ln -sfn "$1" "$2.new.$$" && mv -T "$2.new.$$" "$2"
}
link "$COLL/ansible_collections/netapp/ontap" "$TREE/ansible_collections/netapp/ontap"
link "$TOP" "$TREE/ansible_collections/sanfleet/remediation"

# ansible-test downloads a pip bootstrap script from a host we cannot reach; give it ours.
PIP_FOR_ANSIBLE_TEST=$("$VENV/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.12", path="/x"))["pip"])' 2>/dev/null || true)
if [ -n "$PIP_FOR_ANSIBLE_TEST" ]; then
  mkdir -p "$HOME/.ansible/test/cache"
  "$VENV/bin/python" - "$TOP/scripts/ansible-test-get-pip.py" \
      "$HOME/.ansible/test/cache/get_pip_${PIP_FOR_ANSIBLE_TEST//./_}.py" <<'EOF'
import os, sys
# the settings this machine's pip uses (CA bundle, index) that ansible-test's stripped env would lose
keep = {"cert": "PIP_CERT", "index-url": "PIP_INDEX_URL", "trusted-host": "PIP_TRUSTED_HOST"}
settings = {k: os.environ[v] for k, v in keep.items() if os.environ.get(v)}
if "cert" not in settings and os.path.exists("/etc/pip.conf"):
    import configparser
    cp = configparser.ConfigParser()
    cp.read(["/etc/pip.conf", os.path.expanduser("~/.config/pip/pip.conf")])
    settings.update({k: cp.get("global", k) for k in keep if cp.has_option("global", k)})
src = open(sys.argv[1]).read().replace("PIP_SETTINGS = {}", "PIP_SETTINGS = %r" % settings, 1)
# written aside and renamed: another setup.sh may be writing it too, and ansible-test may be reading it
tmp = "%s.%d" % (sys.argv[2], os.getpid())
open(tmp, "w").write(src)
os.replace(tmp, sys.argv[2])
EOF
fi

# Host packages for the SAN lab (Debian), and chromium for the headless check of the fleet report's HTML page.
need=()
for p in qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client rsync chromium; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing host packages: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

cat <<EOF
export SANFLEET_CACHE='$CACHE'
export SANFLEET_VENV='$VENV'
export PATH='$VENV/bin':"\$PATH"
export ANSIBLE_COLLECTIONS_PATH='$TREE'
export SANFLEET_COLLECTIONS='$TREE'
export SANFLEET_ONTAP_TREE='$COLL'
export ANSIBLE_HOME='$TREE/ansible-home'
EOF
