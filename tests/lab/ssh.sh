#!/bin/bash
# ssh.sh - run CMD as root in the running lab guest (interactive shell without arguments).
#   tests/lab/ssh.sh 'multipath -ll'        SSH_PORT=2223 tests/lab/ssh.sh ...
SSH_PORT=${SSH_PORT:-2222}
RUN=${RUN:-/tmp/sanfleet-lab-run-$SSH_PORT}
[ -f "$RUN/id_ed25519" ] || { echo "no lab running on port $SSH_PORT (no $RUN/id_ed25519)" >&2; exit 1; }
exec ssh -i "$RUN/id_ed25519" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o LogLevel=ERROR -o ConnectTimeout=5 -o BatchMode=yes root@127.0.0.1 "$@"
