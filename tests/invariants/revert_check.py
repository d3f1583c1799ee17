#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the invariant suite catch each safety fix when it is taken back? (run by hand, not by pytest)

For every entry of FINDINGS: a scratch copy of HEAD (`git worktree add --detach` under /tmp), the fix taken back
there (`git revert --no-commit <commit>`, or a stored patch under tests/invariants/patches/ that reopens the hole
on today's code, for fixes whose commits no longer revert cleanly), then the invariant suite
(tests/unit/test_house_rules.py) with --runxfail, a larger example budget
(SANFLEET_INVARIANT_EXAMPLES) and a fixed seed. HEAD itself runs first with the same examples: an entry is caught
when a test that passes on HEAD fails with the fix taken back. Prints a table finding -> caught / not caught and
exits 1 when one is not caught.

    source <(scripts/setup.sh)
    python tests/invariants/revert_check.py                    # every entry, 400 examples per test
    python tests/invariants/revert_check.py --examples 1000 F1 F6
    python tests/invariants/revert_check.py -k "opener or approved" F1 F7
    python tests/invariants/revert_check.py --without ''       # once every hole below is closed

While holes are still open on HEAD, the tests they break fail on HEAD too and could not show a revert: --without
(SANFLEET_INVARIANT_WITHOUT) leaves their triggers out of the generated worlds, in the baseline and in every
revert alike.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SUITE = "tests/unit/test_house_rules.py"
ORIGINAL_COLLECTIONS = os.environ.get("SANFLEET_COLLECTIONS")

# (name, how to take the fix back: "commit:<sha>" or "patch:<file under tests/invariants/patches>")
FINDINGS = [
    ("F1 killed closers pooled over the chosen maps, not every dm device's unseen opens (8ca6341)",
     "patch:F1-killed-closers-pooled.patch"),
    ("F4 fds counted, not open files; threads of an exited leader not read (87a9634)",
     "patch:F4-fds-not-open-files-no-thread-tables.patch"),
    ("F5 a truth that names no initiators covers all; an identity under two SVMs goes to one (003c22a)",
     "patch:F5-truth-initiators-and-duplicate-identities.patch"),
    ("F6 no act-time re-check: truth age now, came_back of a dead unit (b22d64a, documented by bd8fd73)",
     "patch:F6-no-act-time-recheck.patch"),
    ("F7 the approved plan does not narrow the run (5ba6879)",
     "patch:F7-approval-does-not-narrow.patch"),
    # Issue 37 items 1-8: each a small patch that reopens the hole on today's code (the fixes came as branches whose
    # commits no longer revert cleanly on the merged tree)
    ("item 1 a reconfigure that changes no_path_retry/features reaches maps with no active path",
     "patch:item1-reconfigure-unchecked.patch"),
    ("item 2 a NaN collected_at passes every truth-age gate", "patch:item2-nan-truth-time.patch"),
    ("item 3 a blocked sd / checker timeout fails an active path", "patch:item3-transient-is-failed.patch"),
    ("item 4 a loop device on a local fs on a SAN map counts as unable to wait",
     "patch:item4-loop-on-local-fs-trusted.patch"),
    ("item 5 a serial-mismatch map skips the failure proof and the incomplete-truth guard",
     "patch:item5-mismatch-unproven.patch"),
    ("item 6 a thread with its own fd table is not scanned", "patch:item6-thread-tables-unread.patch"),
    ("item 7 SIGINT (KeyboardInterrupt) leaves queueing off", "patch:item7-baseexception-escapes.patch"),
    ("item 8 one odd map name blocks the whole host", "patch:item8-odd-name-refuses-host.patch"),
    # Issue 55: a LUN answering on a path the kernel calls failed, the module's own approval gate, the report of a
    # run that stopped units, the file a held multipath fix leaves active, and what its new invariants found
    ("i55 item 1 an LU answering on a path the kernel still calls failed is not heard",
     "patch:item1-an-lu-answering-on-a-failed-path-unheard.patch"),
    ("i55 item 2 a real run without an approved plan or allow_unreviewed runs unreviewed",
     "patch:item2-a-real-run-unreviewed-without-a-word.patch"),
    ("i55 item 3 the report of a host whose run stopped units drops the run",
     "patch:item3-a-failed-hosts-report-drops-its-run.patch"),
    ("i55 item 4 a held multipath fix is left as the active file for the next reload",
     "patch:item4-a-held-fix-left-as-the-active-file.patch"),
    ("i55 multipathd's count stands in for an unread kernel status",
     "patch:unread-kernel-status-trusts-multipathd.patch"),
    ("mutation: the kernel's active-path count ignored", "patch:mutation-the-kernels-active-path-count-ignored.patch"),
    ("mutation: an unread subsystem hosts list read as allowing nobody",
     "patch:mutation-an-unread-hosts-list-allows-nobody.patch"),
    # the NVMe removal's fixes (fa9e8f1, 479ccdc, 9dd5e63, bde9b75, c5b55bd), each reopened on today's code
    ("nvme a down controller is deleted whatever its subsystem's hosts list says (9dd5e63)",
     "patch:nvme-a-down-controller-deleted-whatever-its-hosts-list.patch"),
    ("nvme the kernel's claim of an unmapped namespace is not checked at act time (9dd5e63)",
     "patch:nvme-the-kernels-claim-unchecked.patch"),
    ("nvme the writer does not re-check the controller ID (9dd5e63)",
     "patch:nvme-the-controller-id-unchecked-by-the-writer.patch"),
    ("nvme the NVMe truth's own age does not gate the plan (9dd5e63, bde9b75)",
     "patch:nvme-the-nvme-truths-age-ignored.patch"),
    ("nvme a process holding a namespace's generic node /dev/ngXnY is no opener (c5b55bd)",
     "patch:nvme-a-generic-node-opener-unseen.patch"),
    ("nvme a truth read for another host NQN judges this host's controllers (479ccdc)",
     "patch:nvme-a-truth-for-another-host-nqn-judges.patch"),
]

# the triggers of issue 37's holes while they are open on HEAD (see --without); empty once they are closed
OPEN_TRIGGERS = ""


def sh(argv, cwd, env=None, check=True):
    res = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True)
    if check and res.returncode != 0:
        raise RuntimeError("%s failed in %s:\n%s" % (" ".join(argv), cwd, res.stdout[-3000:]))
    return res


def failing_tests(tree, examples, seed, without, select=None):
    """The test ids of the suite that fail in `tree` (a checkout), and pytest's tail."""
    collections = scratch_collections(tree)
    # the repository's conftest.py puts SANFLEET_COLLECTIONS first on sys.path: the scratch copy's tree
    env = dict(os.environ, SANFLEET_INVARIANT_EXAMPLES=str(examples), SANFLEET_INVARIANT_WITHOUT=without,
               SANFLEET_COLLECTIONS=collections, ANSIBLE_COLLECTIONS_PATH=collections)
    try:
        res = sh([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--runxfail", "-o", "addopts=",
                  "--hypothesis-seed=%d" % seed, SUITE] + (["-k", select] if select else []),
                 cwd=tree, env=env, check=False)
    finally:
        shutil.rmtree(collections, ignore_errors=True)
    failed = sorted(set(re.findall(r"^FAILED (\S+)", res.stdout, re.M)))
    if res.returncode not in (0, 1):
        raise RuntimeError("pytest could not run the suite in %s:\n%s" % (tree, res.stdout[-3000:]))
    return failed, res.stdout


def scratch_collections(tree):
    """A collections tree whose sanfleet.remediation is `tree` (the scratch copy), the other collections as
    scripts/setup.sh built them (links)."""
    base = ORIGINAL_COLLECTIONS
    if not base:
        raise SystemExit("run `source <(scripts/setup.sh)` first (SANFLEET_COLLECTIONS is not set)")
    top = tempfile.mkdtemp(prefix="revert-coll-")
    ac = os.path.join(top, "ansible_collections")
    os.makedirs(os.path.join(ac, "sanfleet"))
    for name in os.listdir(os.path.join(base, "ansible_collections")):
        if name != "sanfleet":
            os.symlink(os.path.join(base, "ansible_collections", name), os.path.join(ac, name))
    os.symlink(tree, os.path.join(ac, "sanfleet", "remediation"))
    return top


def take_back(tree, how):
    kind, _, what = how.partition(":")
    if kind == "commit":
        res = sh(["git", "revert", "--no-commit", what], cwd=tree, check=False)
        if res.returncode != 0:
            raise RuntimeError("git revert %s does not apply cleanly: store a patch instead\n%s"
                               % (what, res.stdout[-1500:]))
    elif kind == "patch":
        sh(["git", "apply", os.path.join(HERE, "patches", what)], cwd=tree)
    else:
        raise ValueError("unknown entry %r" % how)


def scratch(label):
    path = tempfile.mkdtemp(prefix="revert-%s-" % re.sub(r"[^A-Za-z0-9]+", "-", label)[:20])
    os.rmdir(path)
    sh(["git", "worktree", "add", "--detach", "-q", path, "HEAD"], cwd=REPO)
    # the suite and its patches as they are now (possibly not yet committed)
    for rel in (SUITE, "tests/unit/house_rules_worlds.py", "tests/unit/house_rules_nvme_worlds.py",
                "tests/unit/plugins/module_utils/_san/act/helpers.py",
                "tests/unit/plugins/module_utils/_san/observe/helpers.py"):
        shutil.copy(os.path.join(REPO, rel), os.path.join(path, rel))
    return path


def drop(path):
    sh(["git", "worktree", "remove", "--force", path], cwd=REPO, check=False)
    shutil.rmtree(path, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("only", nargs="*", help="entries whose name starts with one of these (F1, item 2, ...)")
    ap.add_argument("--examples", type=int, default=400, help="examples per invariant test (default 400)")
    ap.add_argument("--seed", type=int, default=37)
    ap.add_argument("-k", dest="select", help="only the invariant tests pytest -k selects (quicker)")
    ap.add_argument("--without", default=OPEN_TRIGGERS, help="generator values to leave out (default: the "
                    "triggers of the holes still open, %(default)s)")
    args = ap.parse_args()
    entries = [(n, h) for n, h in FINDINGS if not args.only or any(n.startswith(o) for o in args.only)]

    base = scratch("head")
    try:
        baseline, tail = failing_tests(base, args.examples, args.seed, args.without, args.select)
    finally:
        drop(base)
    print("HEAD: %d failing invariant test(s)%s" % (len(baseline), (": " + ", ".join(baseline)) if baseline else ""))
    if baseline:
        print(tail[-2000:])
    rows, missed = [], 0
    for name, how in entries:
        if how is None:
            rows.append((name, "placeholder: no fix commit yet", ""))
            continue
        tree = scratch(name)
        try:
            take_back(tree, how)
            failed, tail = failing_tests(tree, args.examples, args.seed, args.without, args.select)
        finally:
            drop(tree)
        new = [t.split("::")[-1] for t in failed if t not in baseline]
        if new:   # the falsifying examples Hypothesis found, for the record
            found = re.findall(r"^E +(?:AssertionError: .*|Failing test case.*)$", tail, re.M)
            print("== %s\n%s" % (name, "\n".join(found)))
        rows.append((name, "caught" if new else "NOT CAUGHT", ", ".join(new)))
        missed += not new
    width = max(len(r[0]) for r in rows)
    print("\n%-*s  %-12s  %s" % (width, "finding", "result", "tests that fail with the fix taken back"))
    for name, result, tests in rows:
        print("%-*s  %-12s  %s" % (width, name, result, tests))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
