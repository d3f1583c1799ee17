# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated worlds of the NVMe family (native NVMe multipath over NVMe-oF) for the house-rule invariants
(test_house_rules.py), and the real pipeline run over them.

A world is what is TRUE of a host's NVMe-oF subsystems and their array -- which namespaces the array maps to the host
NQN the controllers connected with, which LIFs the SVM still has, whether a subsystem still allows that host NQN, who
uses a namespace -- and what the host and the fetched NVMe truth SHOW of it: controllers in every state the kernel
prints, paths with the ANA state they kept, a truth with a flaw. `NvmeWorld` writes the host as sysfs, /proc and /dev
show it (SanTree of tests/unit/plugins/module_utils/_san/observe/helpers.py), read by the real observe.read.Host, and
the truth as ONTAP gives it (nvme_array_truth of .../judge/helpers.py); `run` drives what stale_cleanup's main() calls
-- judge.facts.collect, run.cleanup, act.execute.execute -- on the act tests' fake kernel (Kernel of
.../act/helpers.py: deadline.call without the fork, and the kernel's answer to delete_controller), with a change
between the plan and the act (before the act's read, or after it, before the forked writer reads). Only
test_house_rules imports this module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import time

from hypothesis import strategies as st

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline, validate
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import context as act_context
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act import execute
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge import facts as judge_facts
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.run import cleanup as run_cleanup
from ansible_collections.sanfleet.remediation.plugins.modules import stale_cleanup
from ansible_collections.sanfleet.remediation.tests.unit import house_rules_worlds as hw
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.act.helpers import FakeClock, Kernel
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.judge.helpers import (
    nvme_array_truth)
from ansible_collections.sanfleet.remediation.tests.unit.plugins.module_utils._san.observe.helpers import (
    NVME_HOSTNQN, NVME_ONTAP_NQN, SanTree, _blocknode)

OTHER_HOST = "nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-0000-4000-8000-00000000000b"
NQNS = (NVME_ONTAP_NQN, NVME_ONTAP_NQN.replace("Nvme38", "Nvme39"))     # subsystem i is nvme-subsys<i>
SVM = {"cluster": "c1", "svm": "svm_nvme"}
LIF = "192.168.30.%d"                                                   # LIF k of the SVM: .40 + k
FC_ADDRESS = ("traddr=nn-0x20000090fa9427%02d:pn-0x10000090fa9427%02d,"
              "host_traddr=nn-0x20000090fae0b5f5:pn-0x10000090fae0b5f5")
FSID = "0f5b3c2a-1d4e-4f60-8a7b-9c0d1e2f3a4b"
STATES = ["live", "connecting", "resetting", "dead", "deleting", "new"]
RECOVERING = ("connecting", "resetting")
# who uses a namespace, truly; "claimed": a user only the kernel's exclusive claim shows (a mount in another mount
# namespace, a ZFS vdev); "unknown": the /proc/*/fd scan does not finish (every opener unknown); "harmless": udev's
# blkid, no workload
IN_USE = ["claimed", "generic_opener", "opener", "mount", "swap", "holder", "btrfs", "unknown"]
USERS = [None, None, None, "harmless"] + IN_USE
# what the fetched NVMe truth gets wrong or leaves out (docs/removal.md "Deleting an NVMe-oF controller")
TIMES = ["no_time", "future", "old", "nan", "inf"]
FLAWS = TIMES + ["problems", "hosts_unread", "other_host", "empty"]
# a change between the plan and the act: (kind, index, when, user) -- a controller (by number, modulo their count)
# live again or another controller now (its subsysnqn, address, cntlid or hostnqn), before the act's read or between
# it and the forked writer's; the other live controllers of its subsystem given up (dead: its namespaces' other
# paths gone); a user of a namespace (by index)
IDENTITY = {"subsysnqn": "nqn.2014-08.org.example:other", "address": "traddr=192.168.30.99,trsvcid=4420",
            "cntlid": "77", "hostnqn": OTHER_HOST}
AT_CONTROLLER = st.tuples(st.sampled_from(["live"] + sorted(IDENTITY)), st.sampled_from([0, 0, 0, 1, 2, 3]),
                          st.sampled_from(["before_write", "before_act"]), st.just(None))
OTHERS_DIE = st.tuples(st.just("others_dead"), st.sampled_from([0, 0, 1]), st.just("before_act"), st.just(None))
USER_COMES = st.tuples(st.just("user"), st.integers(0, 5), st.just("before_act"), st.sampled_from(IN_USE))

NS_USUAL = {"mapped": True, "user": None}
NS_CHOICES = {"mapped": [True, True, False],         # the array maps it in its subsystem (ground truth)
              "user": USERS}
CTRL_USUAL = {"state": "connecting", "lif": 1, "transport": "tcp", "ana": "optimized", "knows": (True, True, True),
              "lagging": False}
CTRL_CHOICES = {
    "state": ["live"] + STATES, "lif": [0, 1, 2], "transport": ["tcp", "tcp", "tcp", "fc"],
    # the ANA state its paths kept: a transition (change) and a persistent loss too (NVMe base spec, "Asymmetric
    # Namespace Access"; the kernel's nvme_ana_state_names)
    "ana": ["optimized", "optimized", "non-optimized", "inaccessible", "change", "persistent-loss"],
    # the namespaces a controller that is not live still has a path to (it cannot hear a change)
    "knows": [(True, True, True), (False, True, True), (True, False, True), (True, True, False)],
    # a live controller that has not handled the namespace-changed event yet: it still shows what it knew
    "lagging": [False, False, False, True]}


def _ctrl(state, lif):
    return dict(CTRL_USUAL, state=state, lif=lif)


# namespaces unmapped, and controllers without a path to some, as often as not: a controller that carries only what
# the array unmapped, beside one that carries what it still maps
PARTLY = {"mapped": [False, True],
          "knows": [(False, True, True), (True, False, True), (True, True, False), (True, True, True)]}


# subsystems near one whose controller a plan deletes (its LIF deleted; this host removed from it), or an outage
TEMPLATES = {
    "lif_gone": {"allows_host": True, "namespaces": [NS_USUAL] * 3,
                 "controllers": [_ctrl("connecting", 0), _ctrl("live", 1), _ctrl("live", 2)]},
    "host_removed": {"allows_host": False, "namespaces": [NS_USUAL] * 3,
                     "controllers": [_ctrl("connecting", 1), _ctrl("resetting", 2), _ctrl("dead", 1)]},
    "outage": {"allows_host": True, "namespaces": [NS_USUAL] * 3,
               "controllers": [_ctrl("connecting", 1), _ctrl("resetting", 2), _ctrl("connecting", 2)]},
    # what it still maps reached only through a controller reconnecting to a deleted LIF: the last path a lif_gone
    # delete would take
    "last_path": {"allows_host": True, "namespaces": [NS_USUAL] * 3,
                  "controllers": [_ctrl("connecting", 0), _ctrl("dead", 1), _ctrl("dead", 2)]},
}
WORLD_USUAL = {"lifs": 3, "deleted": (0,), "flaw": None, "delete_lif_gone": True, "policy": "array"}
WORLD_CHOICES = {"lifs": [2, 3], "deleted": [(), (0,), (1,), (0, 1)], "flaw": [None] * 2 * len(FLAWS) + FLAWS,
                 "delete_lif_gone": [True, False], "policy": ["array", "host_evidence"]}
# mostly subsystems with a controller to delete: a rule is tested where it can be broken
USUAL_TEMPLATES = ("lif_gone", "host_removed", "lif_gone", "host_removed", "outage")


def worlds(focus=(), templates=USUAL_TEMPLATES, change=None, calm=0, **choices):
    """Worlds of 1-2 subsystems mostly near `templates`; `focus` names the fields drawn in full every time (as
    house_rules_worlds.worlds), `choices` replaces a field's values (e.g. flaw=FLAWS), `calm` weights each field not in
    focus that many times more to its usual value (worlds nearer the templates), `change` draws the change between
    the plan and the act (None: none)."""
    def near(usual, table):
        table = dict((k, [usual[k]] * calm * (k not in focus) + list(choices.get(k, v))) for k, v in table.items())
        return hw.part(usual, table, focus)

    def elements(usuals, table):
        return st.sampled_from([3, 2, 3, 1]).flatmap(lambda n: st.tuples(*[near(u, table) for u in usuals[:n]]))

    def subsystem(name):
        t = TEMPLATES[name]
        # whether the subsystem's hosts list still has this host's NQN: mostly as in the template
        usual = t["allows_host"]
        allows = near({"allows_host": usual}, {"allows_host": [usual, usual, not usual]})
        return st.tuples(allows, elements(t["namespaces"], NS_CHOICES), elements(t["controllers"], CTRL_CHOICES)).map(
            lambda x: dict(x[0], template=name, namespaces=list(x[1]), controllers=list(x[2])))
    return st.tuples(near(WORLD_USUAL, WORLD_CHOICES),
                     st.lists(st.sampled_from(templates).flatmap(subsystem), min_size=1, max_size=2),
                     change if change is not None else st.just(None)).map(
        lambda x: dict(x[0], subsystems=x[1], change=x[2]))


def usual_world(template="host_removed", **top):
    """A world of one subsystem as `template` has it (TEMPLATES), no flaw, no change: the base of the explicit
    examples."""
    t = TEMPLATES[template]
    sub = {"allows_host": t["allows_host"], "template": template, "namespaces": [dict(ns) for ns in t["namespaces"]],
           "controllers": [dict(c) for c in t["controllers"]]}
    return dict(WORLD_USUAL, subsystems=[sub], change=None, **top)


def each_value(dimensions, base=None):
    """One world per value of each named dimension (the world's: flaw, policy, delete_lif_gone, lifs, deleted; every
    controller's: state, ana, transport, knows, lagging; every namespace's: mapped, user; the change: at_controller,
    others_dead, user_comes) in `base` (usual_world()): the explicit examples that draw every value once."""
    base = base or usual_world()
    sub = base["subsystems"][0]
    out = []
    for dim in dimensions:
        if dim in WORLD_CHOICES:
            out += [dict(base, **{dim: v}) for v in sorted(set(WORLD_CHOICES[dim]), key=repr)]
        elif dim == "flaw":
            out += [dict(base, flaw=v) for v in FLAWS]
        elif dim in CTRL_CHOICES:
            out += [dict(base, subsystems=[dict(sub, controllers=[dict(c, **{dim: v}) for c in sub["controllers"]])])
                    for v in sorted(set(CTRL_CHOICES[dim]), key=repr)]
        elif dim in NS_CHOICES:
            out += [dict(base, subsystems=[dict(sub, namespaces=[dict(n, **{dim: v}) for n in sub["namespaces"]])])
                    for v in sorted(set(NS_CHOICES[dim]), key=repr)]
        elif dim == "at_controller":
            out += [dict(base, change=(kind, 0, when, None)) for kind in ["live"] + sorted(IDENTITY)
                    for when in ("before_write", "before_act")]
        elif dim == "others_dead":
            out += [dict(base, change=("others_dead", 0, "before_act", None))]
        elif dim == "user_comes":
            out += [dict(base, change=("user", 0, "before_act", user)) for user in IN_USE]
        else:
            raise ValueError("no explicit examples for %r" % dim)
    return out


def uuid(i, j):
    return "%08x-0000-4000-8000-%012x" % (0x5eed0000 + i, j + 1)


# ---------------------------------------------------------------------------------------------- world -> host
class WorldKernel(Kernel):
    """The act tests' kernel, and a /proc/*/fd scan that never finishes once `blind` (every opener unknown)."""
    blind = False

    def __call__(self, fn, args=(), timeout=10.0, what=None):
        if self.blind and fn.__name__ in ("read_batch", "read_openers"):
            raise deadline.DeadlineExceeded(what, timeout)
        return Kernel.__call__(self, fn, args, timeout, what)


class NvmeWorld(object):
    """The host of `spec` (a SanTree at `root`, read through `kernel`) and what is true there, once its change came:
    `controllers` {name: {sub, state, transport, lif_gone, paths: [head], identity: the attribute another controller's
    value replaced}}, `namespaces` (those the host shows) {head: {sub, mapped (to this host's NQN), users, via:
    [controller]}}, `subsystems` [{allows_host, controllers}]."""

    def __init__(self, spec, root):
        self.spec = spec
        self.tree = SanTree(root).ontap_nvme_tcp(paths=0)
        self.kernel = WorldKernel(self.tree.root)
        self.controllers, self.namespaces, self.subsystems = {}, {}, []
        self._pid = 7000
        for i, sub in enumerate(spec["subsystems"]):
            self._subsystem(i, sub)
        self.tree.commands(multipathd=False)
        self.truth = self._truth()

    def _subsystem(self, i, sub):
        t, spec = self.tree, self.spec
        if i:
            t.nvme_subsystem(i, NQNS[i])
        mapped = [ns["mapped"] and sub["allows_host"] for ns in sub["namespaces"]]
        reach = []
        for c in sub["controllers"]:
            n, lif = len(self.controllers), c["lif"] % spec["lifs"]
            gone = c["transport"] == "tcp" and lif in spec["deleted"]
            # nothing answers at a deleted LIF, and a subsystem that no longer allows the host refuses its connect
            state = "connecting" if c["state"] == "live" and (gone or not sub["allows_host"]) else c["state"]
            name = "nvme%d" % n
            t.nvme_ctrl(n, i, NQNS[i], transport=c["transport"], state=state, ctrl_loss_tmo="off",
                        address=(FC_ADDRESS % (n, n) if c["transport"] == "fc" else
                                 "traddr=%s,trsvcid=4420,src_addr=192.168.30.15" % (LIF % (40 + lif))))
            if state == "live":   # it drops what the array unmapped (lab finding 15), unless it has not heard yet
                knows = [m or (c["lagging"] and k) for m, k in zip(mapped, c["knows"])]
            else:                 # it cannot hear a change: it keeps the paths it had
                knows = list(c["knows"])
            self.controllers[name] = {"name": name, "sub": i, "state": state, "transport": c["transport"],
                                      "lif_gone": gone, "paths": []}
            reach.append((n, name, c["ana"], knows))
        self.subsystems.append({"allows_host": sub["allows_host"], "controllers": [r[1] for r in reach]})
        for j, ns in enumerate(sub["namespaces"]):
            via = [(n, name, ana) for n, name, ana, knows in reach if knows[j]]
            if not via:
                continue   # no controller shows it: not on the host
            head = t.nvme_head(i, j + 1, nsid=j + 1, uuid=uuid(i, j), dev="259:%d" % (10 * i + j + 1),
                               generic="244:%d" % (10 * i + j))
            for n, name, ana in via:
                t.nvme_path(n, i, j + 1, nsid=j + 1, ana_state=ana)
                self.controllers[name]["paths"].append(head)
            self.namespaces[head] = {"name": head, "sub": i, "mapped": mapped[j], "dev": "259:%d" % (10 * i + j + 1),
                                     "users": [], "via": [name for _n, name, _a in via]}
            if ns["user"]:
                self.use(head, ns["user"])

    def use(self, head, user):
        """`user` starts using namespace `head`, as the host shows it (or, claimed, only its kernel)."""
        t, ns, node = self.tree, self.namespaces[head], "/dev/" + head
        ns["users"].append(user)
        if user == "mount":
            t.mount(ns["dev"], "/srv/" + head, node)
        elif user == "swap":
            t.swap(node)
        elif user == "holder":
            t._mkdir("/sys/block/%s/holders/dm-%d" % (head, 90 + len(ns["users"])))
        elif user == "btrfs":
            t._link("/sys/fs/btrfs/%s/devices/%s" % (FSID, head), "../../../../devices/virtual/nvme-subsystem/"
                    "nvme-subsys%d/%s" % (ns["sub"], head))
        elif user == "claimed":
            self.kernel.claimed.add(head)
        elif user == "unknown":
            self.kernel.blind = True
        else:
            if user != "generic_opener" and not os.path.exists(t.path(node)):
                _blocknode(t, node, ns["dev"])
            self._pid += 1
            t.proc(self._pid, {"opener": "postgres", "harmless": "blkid", "generic_opener": "fio"}[user],
                   fds=["/dev/ng" + head[len("nvme"):] if user == "generic_opener" else node])

    def _truth(self):
        """The NVMe truth ONTAP gives for this host's NQN (one SVM serving every subsystem), with the world's flaw."""
        spec, now = self.spec, time.time()
        lifs = [{"address": LIF % (40 + k), "deleted": k in spec["deleted"]} for k in range(spec["lifs"])]
        nvme = {"namespaces": [], "targets": [], "host_nqns": [NVME_HOSTNQN], "problems": [], "collected_at": now - 10}
        for i, sub in enumerate(spec["subsystems"]):
            part = nvme_array_truth({"array": SVM, "lifs": lifs, "subsystem_nqn": NQNS[i],
                                     "host_nqns": [NVME_HOSTNQN if sub["allows_host"] else OTHER_HOST],
                                     "namespaces": [{"uuid": uuid(i, j), "name": "/vol/nvme/ns%d_%d" % (i, j),
                                                     "nsid": j + 1, "mapped": ns["mapped"]}
                                                    for j, ns in enumerate(sub["namespaces"])]})
            nvme["namespaces"] += part["namespaces"]
            nvme["targets"] += part["targets"]
            nvme["clusters"] = part["clusters"]
        flaw = spec["flaw"]
        if flaw == "problems":
            nvme["problems"] = [dict(SVM, kind="lookup_failed", msg="403 on /api/protocols/nvme/subsystem-maps")]
        elif flaw in TIMES:
            nvme["collected_at"] = {"old": now - hw.MAX_AGE - 100, "nan": float("nan"), "inf": float("inf"),
                                    "future": now + 10 ** 6, "no_time": None}[flaw]
        elif flaw == "hosts_unread":        # subsystem 0's hosts list was not read with it, so the lookup, which
            # keeps the records of the host NQNs a subsystem lists, kept none of its maps (plugin_utils/ontap_nvme)
            del nvme["targets"][0]["subsystems"][0]["host_nqns"]
            nvme["namespaces"] = [r for r in nvme["namespaces"] if r["subsystem_nqn"] != NQNS[0]]
        elif flaw == "other_host":          # read for another host NQN: its records only
            nvme["host_nqns"] = [OTHER_HOST]
            for rec in nvme["namespaces"]:
                rec["host_nqns"] = [OTHER_HOST]
        elif flaw == "empty":               # the namespace records came back empty
            nvme["namespaces"] = []
        return {"luns": [], "targets": [], "problems": [], "initiators": None, "collected_at": now - 10,
                "nvme": nvme}

    def params(self):
        """stale_cleanup's options (its argument spec's defaults) with the world's truth and policy."""
        p = dict((k, v.get("default")) for k, v in stale_cleanup.argument_spec().items())
        p.update(array_truth=self.truth, truth_max_age=hw.MAX_AGE, delete_lif_gone=self.spec["delete_lif_gone"],
                 policy=self.spec["policy"], grace=0.0)
        return p

    def host(self):
        clock = FakeClock()
        return act_context.ActContext(self.tree.reader(call=self.kernel), run=self.tree.run, call=self.kernel,
                                      root=self.tree.root, sleep=clock.sleep, clock=clock, wait_timeout=5.0)

    # --- the change between the plan and the act
    def change(self):
        """Bring the world's change now (before the act's read), or arm it to come before the first write."""
        change = self.spec["change"]
        if change is None:
            return
        if change[2] == "before_act":
            self._apply(change)
            return

        def once(kernel):
            kernel.before_write = None
            self._apply(change)
        self.kernel.before_write = once

    def _apply(self, change):
        kind, index, _when, user = change
        if kind == "user":
            heads = sorted(self.namespaces)
            if heads:
                self.use(heads[index % len(heads)], user)
            return
        ctrl = self.controllers["nvme%d" % (index % len(self.controllers))]
        if kind == "others_dead":
            for other in self.subsystems[ctrl["sub"]]["controllers"]:
                if other != ctrl["name"] and self.controllers[other]["state"] == "live":
                    self.controllers[other]["state"] = "dead"
                    self.kernel.write("class/nvme/%s/state" % other, "dead")
        elif kind == "live":
            ctrl["state"] = kind
            self.kernel.write("class/nvme/%s/state" % ctrl["name"], kind)
        else:
            ctrl["identity"] = kind
            self.kernel.write("class/nvme/%s/%s" % (ctrl["name"], kind), IDENTITY[kind])

    @property
    def deleted(self):
        return set(self.kernel.writes)


# the worlds' roots on a memory filesystem where the host has one: a world is about a hundred directories, and
# removing a directory costs milliseconds on a disk's filesystem
MEMORY = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class Sandbox(hw.Sandbox):
    """house_rules_worlds.Sandbox (a fresh root per world, removed at the end) of NVMe worlds, in memory."""

    def __enter__(self):
        self.root = tempfile.mkdtemp(prefix="house-rules-nvme-", dir=MEMORY)
        return self

    def world(self, spec, name="w"):
        return NvmeWorld(spec, os.path.join(self.root, name))


def run(world, check=False):
    """What stale_cleanup's main() calls, in its order, on the world (check: up to the steps). An Outcome of
    house_rules_worlds (error, san, plan, selected, executed)."""
    out = hw.Outcome()
    p = world.params()
    host = world.host()
    try:
        truth = run_cleanup.checked_truth(p)
        out.san, out.plan = run_cleanup.query_and_decide(p, host, lambda: judge_facts.collect(
            host.reader, truth, p["array_wwid_prefixes"], probe=True))[:2]
        out.selected = run_cleanup.selected_steps(p["phases"], out.san, out.plan)[0]
    except validate.InvalidInput as exc:
        out.error = exc
        return out
    if check:
        return out
    world.change()
    host.truth_times = run_cleanup.truth_times(truth)
    host.truth_max_age = p["truth_max_age"]
    try:
        out.executed = execute.execute(out.selected, host) if out.selected else []
    except act_context.ExecutionError as exc:
        out.error, out.executed = exc, exc.executed
    return out
