#!/usr/bin/env bash
# test.sh — README command 2: every test, on a fresh machine or a warm one.
#
#   scripts/test.sh                 lint, build, docs, sanity, units, unit tests, the ansible-core matrix, the
#                                   target side's unit tests on Python 3.6 and 3.13 (py3.6, py3.13), the
#                                   fixture-fleet integration tests, lab tests, molecule (every stage but lab
#                                   and molecule runs beside the lab VMs)
#   SANFLEET_CORE_MATRIX="2.16.19" STAGES=matrix scripts/test.sh   the matrix on some ansible-core versions only
#   STAGES="unit lab" scripts/test.sh    only some stages (names below)
#   SANLAB=0 scripts/test.sh        everything but the real-kernel lab (lab tests are then skipped, and say so)
#   SANLAB_SUITES="bookworm" scripts/test.sh   the lab on some Debian generations only (default: all three)
#
# The lab stage runs once per Debian generation in SANLAB_SUITES (bookworm bullseye trixie), its VMs booted once,
# stopped after. On bookworm every lab test runs, on SANLAB_BOOKWORM_VMS VMs at once (default 1, SANLAB_PORT=2222,
# +1, ...: one per pytest-xdist worker), and molecule shares the first; on bullseye and trixie (the next ports) the
# tests marked every_suite run, plus README command 1 (scripts/lab-audit.sh) on trixie's VM. The stages that need no
# VM (lint, build, docs, the tooling tests, sanity, ansible-test units, the integration tests of the fixture fleet
# and the ONTAP simulator: stage fleet, and the ansible-core matrix) run beside bookworm's lab, one after the other,
# at nice 10 (on their own with SANLAB=0), and the other generations' labs as a second chain beside it, then stage
# lab-bookworm2 on a second bookworm VM in that chain (the tests marked bookworm_second_vm: Fibre Channel's, the
# FlashArray's and the multipath fix in an outage; then the audit and remediate playbooks from ansible-core 2.16
# against the guest with a Python 3.6 interpreter): the TCG guests leave part of the two cores idle while their tests
# wait on the kernel's timers, and CI's 60 minutes cannot hold the lab tests one after the other.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
eval "$(scripts/setup.sh)"
STAGES=${STAGES:-"lint build docs sanity units unit matrix py3.6 py3.13 fleet lab lab-bookworm2 molecule"}
# The older ansible-core releases meta/runtime.yml supports (requires_ansible) that the matrix stage tests, beside
# requirements-dev.txt's own (the newest): 2.16 is the oldest (AAP 2.4/2.5 execution environments) and templates as
# every release before data tagging does (2.17, 2.18); 2.21 (requirements-dev.txt) runs everything with data tagging
# (since 2.19). 2.18 (AAP 2.5/2.6) cost ~12 min of CI (2026-11-28: CI took 88 of its 90 minutes before the target
# Python stages were added) and is left out, as 2.17, 2.19 and 2.20 are: `SANFLEET_CORE_MATRIX="2.16.19 2.18.19"` runs
# it. tests/tooling/test_supported_versions.py checks it.
SANFLEET_CORE_MATRIX=${SANFLEET_CORE_MATRIX:-"2.16.19"}
SANLAB=${SANLAB:-1}
SANLAB_SUITES=${SANLAB_SUITES:-"bookworm bullseye trixie"}
SANLAB_PORT=${SANLAB_PORT:-2222}
# bookworm's lab tests run on this many VMs at once (SANLAB_PORT, +1, ...: one per pytest-xdist worker, whole test
# files each). Default 1: on this 2-core machine two bookworm VMs beside the other generation's VM and the CPU
# stages were no faster than one, and 4 of their first 25 tests failed (2026-11-28, docs/lab.md)
SANLAB_BOOKWORM_VMS=${SANLAB_BOOKWORM_VMS:-1}
export SANLAB SANLAB_PORT
RESULTS=()
T_ALL=$(date +%s)
# free space and inodes in the temp folder (ENOSPC is either): a stage that fails on a full disk says so here too
TEMP_FOLDER=${TMPDIR:-/tmp}
[ -d "$TEMP_FOLDER" ] || TEMP_FOLDER=/tmp    # Python's tempfile falls back the same way
disk_free() {
  printf '%s and %s inodes' "$(df -Pk "$TEMP_FOLDER" | awk 'NR == 2 { printf "%.1f GiB", $4 / 1048576 }')" \
    "$(df -Pi "$TEMP_FOLDER" | awk 'NR == 2 { print $4 }')"
}
DISK_AT_START=$(disk_free)
failed=0

# CPU seconds (user + system) of the processes a stage ran and waited for, from bash's `times` in the stage's own
# subshell: CI's two cores are shared by the VMs and the stages beside them, so the summary names what each cost
# (a lab VM's qemu is not a child of its stage: boot.sh stop prints its CPU time into the stage's log)
with_cpu() {  # with_cpu FILE CMD...: run CMD in a subshell, write "RC CPU-SECONDS" to FILE, return CMD's rc
  local file=$1
  shift
  (
    set +e
    # in a subshell of its own: a stage that turns errexit on (set -e) and fails ends that one, never this one
    ( "$@" )
    rc=$?
    times > "$file"  # not into a pipe: a pipe's side is a forked shell, with no children of its own
    awk -v rc="$rc" 'NR == 2 { u = $1; s = $2
      sub(/s$/, "", u); sub(/s$/, "", s); split(u, a, "m"); split(s, b, "m")
      printf "%d %.0f\n", rc, a[1] * 60 + a[2] + b[1] * 60 + b[2] }' "$file" > "$file.cpu" && mv "$file.cpu" "$file"
    exit $rc
  )
}

stage() {  # stage NAME CMD...: run one stage, keep going, remember how it ended
  local name=$1 t0 rc cpu_file cpu
  shift
  case " $STAGES " in *" $name "*) ;; *) return 0 ;; esac
  printf '\n===== %s =====\n' "$name"
  t0=$(date +%s)
  cpu_file=$(mktemp)
  set +e
  with_cpu "$cpu_file" "$@"
  rc=$?
  set -e
  read -r _ cpu < "$cpu_file" || cpu='?'
  rm -f "$cpu_file"
  RESULTS+=("$(printf '%-9s %s %4ss, cpu %ss' "$name" "$([ $rc = 0 ] && echo ok || echo "FAILED(rc=$rc)")" \
    $(( $(date +%s) - t0 )) "$cpu")")
  [ $rc = 0 ] || failed=1
}

# The target side runs on Python 3.6 and newer (docs/design.md "Python versions"): vermin finds what needs a newer one
# (tests/tooling/test_target_python.py runs this very command, on the tree and on code that must fail it)
TARGET_CHECK=(vermin -t=3.6- --no-tips --violations plugins/modules plugins/module_utils)
lint() {
  ansible-lint --nocolor && antsibull-changelog lint && "${TARGET_CHECK[@]}"
}

build() {
  local out
  out=$(mktemp -d)
  ansible-galaxy collection build --force --output-path "$out" . >/dev/null
  # --no-deps: netapp.ontap comes from the project's own tree, Galaxy may be unreachable
  ansible-galaxy collection install --no-deps -p "$out/installed" "$out"/sanfleet-remediation-*.tar.gz
  test -f "$out/installed/ansible_collections/sanfleet/remediation/MANIFEST.json"
  ls -l "$out"/sanfleet-remediation-*.tar.gz
  rm -rf "$out"
}

docs() {
  local kind name rc=0
  for kind in module lookup filter callback; do
    for name in $(ansible-doc -t "$kind" -l sanfleet.remediation 2>/dev/null | awk '{print $1}'); do
      if ansible-doc -t "$kind" "$name" >/dev/null; then echo "ansible-doc $kind $name: ok"; else echo "ansible-doc $kind $name: FAILED"; rc=1; fi
    done
  done
  return $rc
}

# ansible-test must run from .../ansible_collections/sanfleet/remediation with netapp.ontap beside it.
ansible_test_tree() {
  local tree=$SANFLEET_COLLECTIONS/ansible-test/ansible_collections
  rm -rf "$tree/sanfleet/remediation"
  mkdir -p "$tree/sanfleet/remediation" "$tree/netapp"
  rsync -a --delete "$SANFLEET_ONTAP_TREE/ansible_collections/netapp/ontap/" "$tree/netapp/ontap/"
  # tests/lab, tests/tooling, tests/invariants, benchmarks and scripts are development tooling, not collection content
  # (build_ignore too)
  git ls-files -co --exclude-standard -z -- . ':!tests/lab' ':!tests/tooling' ':!tests/invariants' ':!benchmarks' ':!scripts' |
    rsync -a --from0 --files-from=- ./ "$tree/sanfleet/remediation/"
  (cd "$tree/sanfleet/remediation" && rm -rf .git && git init -q && git add -A >/dev/null 2>&1)
  echo "$tree/sanfleet/remediation"
}

sanity() {
  local dir
  dir=$(ansible_test_tree)
  # shellcheck and pslint need tools this machine does not have; every other test runs.
  (cd "$dir" && ansible-test sanity --python 3.12 --requirements --skip-test shellcheck --skip-test pslint 2>&1 |
     grep -vE 'is ignored: it is neither|^(Collecting|Downloading|Installing|Successfully|Using cached|Looking in)')
}

units() {  # every unit test through ansible-test but plugins/module_utils' own: stages py3.6 and py3.13 run those
  # on the oldest and the newest Python a host runs them on (a third run here on 3.12 cost CI ~10 of its minutes);
  # the house-rule invariants here still drive module_utils' observe, judge, plan and act
  local dir targets
  dir=$(ansible_test_tree)
  (cd "$dir" &&
   targets=$(find tests/unit -name 'test_*.py' -not -path 'tests/unit/plugins/module_utils/*' | sort) &&
   # shellcheck disable=SC2086  # one target per word
   ansible-test units --python 3.12 --requirements $targets 2>&1 | grep -vE 'is ignored: it is neither')
}

lab_up() {  # lab_up [VMS]: boot VMS (default 1) lab VMs of $SANLAB_SUITE on $SANLAB_PORT, +1, ..., at once, at the
  # baseline, and write the first one's inventory; a VM that fails to boot is booted again once, and its error is
  # printed (the tests then attach to running VMs: SANLAB_REUSE)
  [ "$SANLAB" = 1 ] || return 0
  local out
  out=$(VMS=${1:-1} python - <<'EOF'
import os, sys, threading, time
sys.path.insert(0, "tests/lab")
from sanlab import Lab
port = int(os.environ["SANLAB_PORT"])
labs = [Lab(port=port + n) for n in range(int(os.environ["VMS"]))]
t0 = time.monotonic()
img = labs[0].ensure_built()
built = time.monotonic() - t0
errors = {}


def boot(lab):
    for attempt in (1, 2):
        try:
            lab.start(reuse=True)
            errors.pop(lab.port, None)
            return
        except Exception as e:
            errors[lab.port] = "attempt %d: %s: %s" % (attempt, type(e).__name__, e)
            print("[lab] port %d %s" % (lab.port, errors[lab.port]), file=sys.stderr)


threads = [threading.Thread(target=boot, args=(lab,)) for lab in labs]
for t in threads:
    t.start()
for t in threads:
    t.join()
for lab in labs:
    print("[lab] %s port %d image %s (build or cache %.0f s), boot-to-ssh %s s, all up after %.0f s"
          % (lab.suite, lab.port, img, built, lab.boot_seconds, time.monotonic() - t0 - built), file=sys.stderr)
if errors:
    sys.exit(1)
print(labs[0].inventory_path())
EOF
) || return 1
  SANLAB_INVENTORY=$(printf '%s\n' "$out" | tail -n 1)
  export SANLAB_INVENTORY SANLAB_REUSE=1
}

lab_down() {  # lab_down [VMS]: stop what lab_up [VMS] booted
  local n
  if [ "$SANLAB" = 1 ] && [ "${SANLAB_KEEP:-0}" != 1 ]; then
    for n in $(seq 0 $(( ${1:-1} - 1 ))); do SSH_PORT=$(( SANLAB_PORT + n )) tests/lab/boot.sh stop || true; done
  fi
}

pytest_unit() {  # tests/tooling: what ansible-test units cannot run (it copies the collection's content only);
  # tests/unit already ran once, in stage units (ansible-test units, the same ansible-core), and is not run twice
  python -m pytest -q -p no:cacheprovider -n 2 tests/tooling
}

pytest_fleet() {  # the integration tests without a VM (fixture hosts, the ONTAP simulator, ansible-runner), two
  # test files at a time (each file's module fixtures are built once), on cores no lab VM shares
  python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=8 -m "not lab" tests/integration
}

pytest_lab() {  # every lab test on bookworm; on the other generations the every_suite ones, and README command 1
  # on trixie (the audit of a stale and a reused LUN: bullseye's every_suite tests read and judge the same states)
  # --durations: the lab stages are most of CI's 60 minutes; the slowest tests are named in every log
  if [ "$SANLAB_SUITE" = bookworm ]; then
    # with several VMs, worker gw<N> uses the one lab_up booted on SANLAB_PORT+N (SANLAB_REUSE); lab_down stops them
    local workers=()
    [ "$SANLAB_BOOKWORM_VMS" -gt 1 ] && workers=(-n "$SANLAB_BOOKWORM_VMS" --dist loadfile)
    python -m pytest -q -p no:cacheprovider "${workers[@]}" --durations=12 -m "lab and not target_python36 and not bookworm_second_vm" \
      tests/integration
  else
    python -m pytest -q -p no:cacheprovider --durations=6 -m "lab and every_suite" tests/integration || return 1
    [ "$SANLAB" = 1 ] && [ "$SANLAB_SUITE" = trixie ] || return 0
    lab_audit
  fi
}

# bookworm's second VM (LAB_BOOKWORM2_PORT), in the other generations' chain after theirs, so that bookworm's lab,
# which ends CI, is shorter by what runs here: the tests marked bookworm_second_vm (Fibre Channel's: ~15-23 minutes
# of bookworm's 63 in the CI of 2026-11-28; the FlashArray's; the multipath fix in an outage, ~5 minutes mostly spent
# waiting on the kernel's timers, while this chain ended ~8 minutes before bookworm's lab on 2026-11-30), then the audit and remediate playbooks from ansible-core 2.16 against the
# guest with a Python 3.6 interpreter (tests/integration/test_python36_lab.py; README "Python on the hosts": Python
# 3.6 copied in, then the setup module, the audit, the check run and the approved run, some 5 minutes)
lab_bookworm2() (  # a subshell: the environment of scripts/setup.sh --core 2.16.19 stays in it
  local rc env
  export SANLAB_SUITE=bookworm SANLAB_PORT=$LAB_BOOKWORM2_PORT
  lab_up || { echo "lab-boot(bookworm, second VM) FAILED"; lab_down; exit 1; }
  rc=0
  python -m pytest -q -p no:cacheprovider --durations=6 -m "lab and bookworm_second_vm" tests/integration || rc=$?
  if env=$(scripts/setup.sh --core 2.16.19); then
    eval "$env"
    python -m pytest -q -p no:cacheprovider -m "lab and target_python36" tests/integration || rc=1
  else
    echo "lab-bookworm2: FAILED: no ansible-core 2.16 venv"; rc=1
  fi
  lab_down
  exit $rc
)

lab_generation() {  # lab_generation SUITE PORT: one generation's VM booted on PORT, its lab tests, the VM stopped
  local rc
  export SANLAB_SUITE=$1 SANLAB_PORT=$2
  lab_up || { echo "lab-boot($1) FAILED"; lab_down; return 1; }
  rc=0
  pytest_lab || rc=$?
  lab_down
  return $rc
}

lab_audit() {  # README command 1 on the running VM: the audit must name the unmapped and the reused LUN
  local log rc
  log=$(mktemp)
  rc=0
  scripts/lab-audit.sh > "$log" 2>&1 || rc=$?
  tail -n 25 "$log"
  if [ "$rc" != 0 ]; then rm -f "$log"; echo "lab-audit.sh: rc $rc"; return 1; fi
  if ! grep -q stale_unmapped "$log" || ! grep -q serial_mismatch "$log"; then
    rm -f "$log"; echo "lab-audit.sh: the audit did not report stale_unmapped and serial_mismatch"; return 1
  fi
  rm -f "$log"
}

# The ansible-core matrix: per version, in a cached venv of its own (scripts/setup.sh --core), what differs between
# versions: the unit tests (module argument handling, the lookups and filters on that templating engine), the
# fixture fleet run the way AWX runs it (compliance.yml and remediate.yml --check through ansible-runner, one host per
# captured scenario plus an unreachable one) and the sanity tests that judge the collection by that version's rules
# (ansible-doc, import, runtime-metadata, validate-modules). The other sanity tests (pylint, pep8, compile, ...) do
# not depend on the ansible-core version: the sanity stage runs them once.
matrix_core() {  # matrix_core VERSION: the three parts on one ansible-core (run in a subshell: its own environment)
  local core=$1 failed=() env
  env=$(scripts/setup.sh --core "$core") || { echo "--- ansible-core $core: FAILED: no venv"; return 1; }
  eval "$env"
  # sed reads to the end: with head, ansible 2.16 meets a closed pipe and prints two tracebacks into the log
  echo "--- ansible-core $core: $(ansible --version | sed -n 1p)"
  # the house-rule invariants (Hypothesis, ~2 min) and the module_utils tests run once, in stage units: they drive
  # module_utils' observe, judge, plan and act against fake hosts, code whose tests import nothing of ansible-core
  # (tests/tooling/test_test_layout.py keeps it so); the modules' tests run on ansible-core 2.16 in stage py3.6 (the
  # newest ansible-core that runs modules on 3.6 is 2.16, the matrix's oldest), and on the newest in units and py3.13:
  # here the controller's side, the plugins that run in ansible-core's own process
  python -m pytest -q -p no:cacheprovider -n 2 --ignore tests/unit/test_house_rules.py \
    --ignore tests/unit/plugins/module_utils --ignore tests/unit/plugins/modules tests/unit || failed+=(units)
  # the fleet's tests (every_core: test_fleet_runner.py, and what must hold on each templating engine, such as
  # another run's data never rendered as a template)
  SANFLEET_FLEET_HOSTS=5 python -m pytest -q -p no:cacheprovider -m every_core -k "not chromium" tests/integration ||
    failed+=(fleet)
  local dir
  dir=$(ansible_test_tree)
  (cd "$dir" &&
   ansible-test sanity --python 3.12 --requirements --test ansible-doc --test import --test runtime-metadata \
       --test validate-modules 2>&1 |
     grep -vE 'is ignored: it is neither|^ *(Collecting|Downloading|Installing|Successfully|Using cached|Looking in|Requirement already|Attempting|Found existing|Uninstalling|Processing|━)') ||
    failed+=(sanity)
  [ ${#failed[@]} = 0 ] || { echo "--- ansible-core $core: FAILED: ${failed[*]}"; return 1; }
}

matrix() {
  local core rc=0 t0
  for core in $SANFLEET_CORE_MATRIX; do
    t0=$(date +%s)
    (matrix_core "$core") || rc=1
    echo "--- ansible-core $core: $(( $(date +%s) - t0 ))s"
  done
  return $rc
}

# The target side on the oldest and the newest Python the modules run on (docs/design.md "Python versions"): the
# modules' and module_utils' unit tests, in a cached venv of that Python (scripts/setup.sh --target-python) with the
# newest pytest and Hypothesis it supports and the newest ansible-core that runs modules there (2.16 on 3.6)
target_units() {  # target_units VERSION (run in a subshell: its own environment)
  local env storage rc
  env=$(scripts/setup.sh --target-python "$1") || { echo "--- Python $1: FAILED: no venv"; return 1; }
  eval "$env"
  echo "--- $(python -V 2>&1), ansible-core $(python -c 'from ansible.release import __version__ as v; print(v)')"
  # Hypothesis keeps a cache of its own (.hypothesis/ of the working directory on 3.6's release): not in the checkout
  storage=$(mktemp -d)
  rc=0
  HYPOTHESIS_STORAGE_DIRECTORY=$storage python -m pytest -q -p no:cacheprovider -n 2 tests/unit/plugins/modules \
    tests/unit/plugins/module_utils || rc=$?
  rm -rf "$storage"
  return $rc
}
units_py36() { (target_units 3.6); }
units_py313() { (target_units 3.13); }

molecule_all() {
  molecule test --all
}

# Stages that run beside the lab VMs: the TCG guest leaves ~1/3 of the two cores idle, and the stages without a VM
# (lint, build, docs, unit, sanity, units, fleet, then matrix: the quick ones first) take them at a lower priority
# (nice 10: the guest and the lab's own controller come first), one after the other, so CI does not wait for them
# on their own. Started before the first VM boots (the lab's inventory
# is not in their environment); their logs are printed, and their results counted, when they end.
# Each call starts one chain (NICE: its niceness); the chains run side by side, the stages of a chain one after the other.
BG_PIDS=() BG_DIR='' BG_NAMES=()
stages_beside_lab() {  # NICE=n stages_beside_lab NAME:FUNCTION...
  local pair name chain=()
  for pair in "$@"; do
    name=${pair%%:*}
    case " $STAGES " in *" $name "*) chain+=("$pair") ;; esac
  done
  [ ${#chain[@]} -gt 0 ] || return 0
  BG_NAMES+=("${chain[@]}")
  [ -n "$BG_DIR" ] || BG_DIR=$(mktemp -d)
  (
    renice -n "${NICE:-10}" -p "$BASHPID" >/dev/null 2>&1 || true
    for pair in "${chain[@]}"; do
      name=${pair%%:*} t0=$(date +%s)
      # in a subshell: a stage that turns errexit on (set -e) and fails ends its subshell, never the chain
      # (the bullseye lab's failure once ended the chain there: no trixie, no second bookworm VM, no result file)
      set +e
      with_cpu "$BG_DIR/$name.cpu" "${pair#*:}" >"$BG_DIR/$name.log" 2>&1
      echo "$? $(( $(date +%s) - t0 )) $(cut -d' ' -f2 "$BG_DIR/$name.cpu" 2>/dev/null || echo '?')" >"$BG_DIR/$name.rc"
      set -e
    done
  ) &
  BG_PIDS+=($!)
  printf '\n===== %s: running beside the lab (nice %s, one after the other); their logs follow when they end =====\n' \
    "$(printf '%s ' "${chain[@]%%:*}")" "${NICE:-10}"
}

wait_beside_lab() {
  [ ${#BG_PIDS[@]} -gt 0 ] || return 0
  local pair name rc seconds cpu
  set +e
  wait "${BG_PIDS[@]}"
  set -e
  for pair in "${BG_NAMES[@]}"; do
    name=${pair%%:*}
    printf '\n===== %s (ran beside the lab) =====\n' "$name"
    cat "$BG_DIR/$name.log" 2>/dev/null || true
    read -r rc seconds cpu < "$BG_DIR/$name.rc" 2>/dev/null || { rc=255 seconds=0 cpu='?'; }
    RESULTS+=("$(printf '%-9s %s %4ss, cpu %ss (beside the lab)' "$name" \
      "$([ "$rc" = 0 ] && echo ok || echo "FAILED(rc=$rc)")" "$seconds" "${cpu:-?}")")
    [ "$rc" = 0 ] || failed=1
  done
  rm -rf "$BG_DIR"
  BG_PIDS=() BG_DIR='' BG_NAMES=()
}

descendants() {  # descendants PID: every process under PID, deepest last
  local child
  for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done
}

stop_beside_lab() {  # on an early exit: the background stages must not outlive the run (pytest is a grandchild; the
  # run shares its process group with them, so the tree is walked, not the group killed)
  local pid
  for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" $(descendants "$pid") 2>/dev/null || true; done
}

on_their_own() {
  stage lint lint
  stage build build
  stage docs docs
  stage sanity sanity
  stage unit pytest_unit
  stage units units
  stage matrix matrix
  stage py3.6 units_py36
  stage py3.13 units_py313
  stage fleet pytest_fleet
}
# the generations other than bookworm, each on a port of its own, as stages beside bookworm's lab (lab-<suite>)
OTHER_SUITES=() GENERATION_PAIRS=() port=$(( SANLAB_PORT + SANLAB_BOOKWORM_VMS - 1 ))
for suite in $SANLAB_SUITES; do
  [ "$suite" = bookworm ] && continue
  port=$(( port + 1 ))
  OTHER_SUITES+=("$suite")
  eval "lab_$suite() { lab_generation $suite $port; }"
  case " $STAGES " in *" lab "*) [ "$SANLAB" = 1 ] && GENERATION_PAIRS+=("lab-$suite:lab_$suite") ;; esac
done
LAB_BOOKWORM2_PORT=$(( port + 1 ))  # the port after the other generations' (stage lab-bookworm2)
generations_beside_lab() {  # the other generations' labs, then lab-bookworm2: a chain of their own at the guests'
  # priority
  local second=()
  case " $SANLAB_SUITES " in *" bookworm "*) second=(lab-bookworm2:lab_bookworm2) ;; esac
  STAGES="$STAGES ${GENERATION_PAIRS[*]%%:*}" NICE=0 stages_beside_lab "${GENERATION_PAIRS[@]}" "${second[@]}"
}
stop_generations() {  # on an early exit: no VM of another generation, nor bookworm's second, outlives the run
  local p=$(( SANLAB_PORT + SANLAB_BOOKWORM_VMS - 1 ))
  for _suite in "${OTHER_SUITES[@]}"; do p=$(( p + 1 )); SSH_PORT=$p tests/lab/boot.sh stop >/dev/null 2>&1 || true; done
  SSH_PORT=$LAB_BOOKWORM2_PORT tests/lab/boot.sh stop >/dev/null 2>&1 || true
}
case " $STAGES " in
  *" lab "*|*" lab-bookworm2 "*) if [ "$SANLAB" = 1 ]; then
               stages_beside_lab lint:lint build:build docs:docs unit:pytest_unit sanity:sanity units:units \
                 fleet:pytest_fleet matrix:matrix py3.6:units_py36 py3.13:units_py313
               # the other generations' VMs: a chain of their own, at the guest's priority (their tests wait on the
               # kernel's timers as bookworm's do; behind the CPU stages they would end last), started once
               # bookworm's VMs are up (below): more TCG boots at once beside the CPU stages each take minutes longer
             else on_their_own; fi ;;
  *) on_their_own ;;
esac
case " $STAGES " in
  *" lab "*|*" lab-bookworm2 "*|*" molecule "*)
    trap 'stop_beside_lab; lab_down "$SANLAB_BOOKWORM_VMS"; stop_generations' EXIT
    # (bookworm's VM is booted for the lab and molecule stages; lab-bookworm2 boots a second one, in the other
    # generations' chain, started here at once when bookworm's VM is not wanted)
    case " $SANLAB_SUITES : $STAGES " in
      *" bookworm "*:*" lab "*|*" bookworm "*:*" molecule "*)
        export SANLAB_SUITE=bookworm
        t_suite=$(date +%s)
        set +e
        lab_up "$SANLAB_BOOKWORM_VMS"
        rc=$?
        set -e
        [ "$SANLAB" != 1 ] || generations_beside_lab
        if [ $rc != 0 ]; then RESULTS+=("lab-boot(bookworm) FAILED"); failed=1; lab_down "$SANLAB_BOOKWORM_VMS"
        else
          stage lab pytest_lab
          stage molecule molecule_all
          lab_down "$SANLAB_BOOKWORM_VMS"
          RESULTS+=("$(printf 'lab(bookworm) %ss incl. image and boot' $(( $(date +%s) - t_suite )))")
        fi
        unset SANLAB_REUSE SANLAB_INVENTORY ;;
      *) [ "$SANLAB" != 1 ] || generations_beside_lab ;;
    esac
    # without SANLAB the other generations' stages skip their lab tests and say so, as bookworm's do
    if [ "$SANLAB" != 1 ]; then
      for suite in "${OTHER_SUITES[@]}"; do SANLAB_SUITE=$suite stage lab pytest_lab; done
      stage lab-bookworm2 lab_bookworm2  # its lab tests skipped and say so, as the others
    fi ;;
esac
wait_beside_lab

printf '\n===== summary (%ss) =====\n' $(( $(date +%s) - T_ALL ))
printf '%s\n' "${RESULTS[@]}"
printf 'free in %s: %s at the start, %s at the end\n' "$TEMP_FOLDER" "$DISK_AT_START" "$(disk_free)"
exit $failed
