#!/usr/bin/env bash
# build-ee.sh — the execution environment of this checkout: the collection tarball, then the image from it.
#
#   scripts/build-ee.sh                 tarball + `ansible-builder build` (podman or docker), tag sanfleet-ee:<version>
#   scripts/build-ee.sh --create-only   tarball + `ansible-builder create` (the build context only, no container engine)
#   EE_CONTEXT=dir                      where the build context goes (default: extensions/ee/context)
#
# <version> is galaxy.yml's: extensions/ee/execution-environment.yml names that tarball and that tag (a unit test
# keeps them equal), so the image holds exactly the collection of this checkout, never a branch.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
EE=extensions/ee
VERSION=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' galaxy.yml)
CONTEXT=${EE_CONTEXT:-$EE/context}
TAG=sanfleet-ee:$VERSION
grep -q "src: sanfleet-remediation-$VERSION.tar.gz" "$EE/execution-environment.yml" &&
  grep -q -- "- $TAG\$" "$EE/execution-environment.yml" || {
  echo "build-ee.sh: $EE/execution-environment.yml does not name galaxy.yml's version $VERSION (tarball and tag)" >&2
  exit 1
}
rm -f "$EE"/sanfleet-remediation-*.tar.gz
ansible-galaxy collection build --output-path "$EE" . >&2
if [ "${1:-}" = --create-only ]; then
  ansible-builder create -f "$EE/execution-environment.yml" -c "$CONTEXT" --output-filename Containerfile >&2
else
  ansible-builder build -f "$EE/execution-environment.yml" -c "$CONTEXT" -t "$TAG" >&2
fi
echo "$TAG"
