#!/usr/bin/env bash
# lab-audit.sh — README command 1: set everything up, build and boot the SAN lab, make devices stale in
# it, and run playbooks/audit.yml against it with an ONTAP simulator that agrees with the lab's target.
#   scripts/lab-audit.sh [--keep] [--no-stale] [ansible-playbook options...]
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
eval "$(scripts/setup.sh)"
exec python tests/lab/demo.py "$@"
