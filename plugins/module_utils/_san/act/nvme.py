# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVMe family's act: delete an NVMe-oF controller that is not live (plan.nvme), then wait for it and, in the
unit of the last of their controllers, for the unmapped namespaces that go with it to leave.

Right before the write, against one read of the host: the truth's age, the controller's identity (a kernel name
is reused: its subsystem NQN, transport, address, host NQN and controller ID), its state (not live: one that
reconnected since the plan is left), each namespace behind it (no path the plan did not see, the same UUID and
NSID), a namespace that stays still answering through another live path, an unmapped one fully read, still unused
(the kernel's exclusive claim of it included) and shown by no live controller. The forked writer reads the
identity (controller ID included) and state once more before it writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sanfleet.remediation.plugins.module_utils._san import deadline
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.errors import ChildFailed, IdentityChanged, Refused
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import (
    CONTROLLER_CHECK, address_text, controller_identity, describe_diff)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.usage import check_not_in_use
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe.nvme import parse_address, read_left
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.plan.nvme import (
    DELETABLE_STATES, STAYS, UNMAPPED, answers_elsewhere, behind, node_holders)
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.batch import poll_steps, single
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.checks import verify_family_truth_age
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.children import exclusive_open_check
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.act.context import ActFailed


def child_delete_controller(sys_root, name, expected, states):
    """(runs in a forked child) write 1 to class/nvme/<name>/delete_controller only if <name> still connects to
    the subsystem NQN, with the transport, address, host NQN and controller ID `expected` holds, and is in one of
    `states` (not live) — read microseconds before the write."""
    base = os.path.join(sys_root, "class", "nvme", name)
    now = {}
    if not expected.get("cntlid"):
        raise IdentityChanged("%s was planned without its controller ID: it cannot be told from a reused name" % name,
                              device=name, identity={"expected": None})
    for attr in ("subsysnqn", "transport", "address", "hostnqn", "cntlid", "state"):
        try:
            with open(os.path.join(base, attr)) as fh:
                now[attr] = fh.read().strip()
        except (IOError, OSError) as exc:
            raise IdentityChanged("%s/%s cannot be read (%s)" % (name, attr, exc), device=name,
                                  identity={"expected": expected.get(attr), "found": None})
    now["address"] = address_text(parse_address(now["address"]))
    for attr in ("subsysnqn", "transport", "address", "hostnqn", "cntlid"):
        if now[attr] != expected.get(attr):
            raise IdentityChanged("%s has %s %s, expected %s" % (name, attr, now[attr], expected.get(attr)),
                                  device=name, identity={"expected": expected.get(attr), "found": now[attr]})
    if now["state"] not in states:
        raise IdentityChanged("%s is %s now, not one of %s (it reconnected or is going already)"
                              % (name, now["state"], ", ".join(states)), device=name,
                              identity={"expected": list(states), "found": now["state"]})
    with open(os.path.join(base, "delete_controller"), "w") as fh:
        fh.write("1")
    return True


def _namespaces_check(host, name, target, planned, nvme):
    """Refuse unless every namespace behind the controller now is one the plan saw, as it saw it, and still in the
    role it was planned in. Returns their names."""
    now = behind([ns for ns in nvme.get("namespaces") or [] if ns.get("fabrics")], name)
    for ns in now:
        want = planned.get(ns["name"])
        if want is None:
            raise Refused(target, "identity", "namespace %s reaches it now and was not in the plan; not deleting"
                          % ns["name"], evidence={"namespace": ns["name"]})
        if (ns.get("uuid"), ns.get("nsid")) != (want.get("uuid"), want.get("nsid")):
            raise Refused(target, "identity", "namespace %s is UUID %s NSID %s now, planned as UUID %s NSID %s: the "
                          "kernel name was reused; not deleting" % (
                              ns["name"], ns.get("uuid"), ns.get("nsid"), want.get("uuid"), want.get("nsid")))
        if want.get("role") == STAYS and not answers_elsewhere(ns, [name]):
            raise Refused(target, "sole_path", "namespace %s answers through no other live path now: deleting %s "
                          "would take it away" % (ns["name"], name))
        if want.get("role") == UNMAPPED:
            if ns.get("unread") or ns.get("holders") is None or ns.get("dev") is None:
                raise Refused(target, "unread", "namespace %s, which goes with it, was not fully read now (%s): its "
                              "users cannot be checked; not deleting" % (
                                  ns["name"], ", ".join(ns.get("unread") or ["holders or dev"])))
            live = [p["name"] for p in ns.get("paths") or [] if p.get("controller_state") == "live"]
            if live:
                raise Refused(target, "came_back", "namespace %s, which the array no longer mapped, is presented by "
                              "a live controller again (%s): it may be mapped to this host again" % (
                                  ns["name"], ", ".join(live)))
            info = dict(ns)
            if ns.get("holders"):
                info["holders"] = host.holders_now(ns["holders"])
            check_not_in_use(info, "namespace %s" % ns["name"])
            # a mount in another mount namespace, a ZFS vdev, drbd: no mount line, holder or fd shows them, the
            # kernel's exclusive claim does (a claimed partition marks its whole disk claimed too)
            exclusive_open_check(host, ns, "namespace %s" % ns["name"])
    return sorted(ns["name"] for ns in now)


def _checked(host, step):
    """Every check of a controller's delete, against the act's read of the host (see the module docstring): None when
    the controller is already gone, else the names of the namespaces behind it. Raises Refused."""
    name = step.target
    target = "controller %s" % name
    verify_family_truth_age(host, target, "nvme")
    nvme = host.part_now("nvme")
    if nvme is None or nvme.get("unread"):
        raise Refused(target, "unread", "the NVMe read did not finish (%s): not deleting"
                      % ", ".join((nvme or {}).get("unread") or ["no answer"]))
    ctrl = dict((c["name"], c) for c in nvme.get("controllers") or []).get(name)
    if ctrl is None:
        return None
    diff = step.identity.only(CONTROLLER_CHECK).differs_from(controller_identity(ctrl))
    if diff:
        raise Refused(target, "identity", "is not the controller that was planned (%s): the kernel name was reused "
                      "or it connected elsewhere; nothing written" % describe_diff(diff), evidence={"diff": diff})
    if ctrl.get("state") not in DELETABLE_STATES:
        raise Refused(target, "came_back" if ctrl.get("state") == "live" else "state",
                      "is %s now, not one of %s: not deleting" % (ctrl.get("state"), ", ".join(DELETABLE_STATES)))
    held = node_holders(ctrl)
    if held:
        raise Refused(target, "opener", "%s; not deleting" % held)
    return _namespaces_check(host, name, target, step.options.get("namespaces") or {}, nvme)


def controllers_checked(host, unit_steps):
    """Before a unit's first delete: every controller of it checked, so that the controllers a stale namespace is
    reached through go together or none goes (plan.nvme makes them one unit)."""
    for st in unit_steps:
        _checked(host, st)


def delete_controller(host, step):
    """Delete the NVMe-oF controller of `step` after re-checking it (see the module docstring). A unit stopped here
    after an earlier controller of it went says what it leaves."""
    name = step.target
    target = "controller %s" % name
    try:
        namespaces = _checked(host, step)
        if namespaces is None:
            return {"outcome": "already_absent"}
        host.checkpoint()
        try:
            host.sysfs(child_delete_controller, (host.path("/sys"), name, step.identity.as_dict(), DELETABLE_STATES),
                       "write of delete_controller of %s" % name)
        except ChildFailed as exc:
            if exc.is_identity_change():
                raise Refused(target, "identity", "%s; nothing written" % exc.reason)
            raise ActFailed(target, "write of delete_controller failed: %s" % exc)
        except RuntimeError as exc:  # the deadline's own errors
            raise ActFailed(target, "write of delete_controller failed: %s" % exc)
        host.deleted_controllers.add(name)
    except (Refused, ActFailed) as exc:
        left = _left_by_unit(host, step)
        if not left:
            raise
        msg = "%s; %s" % (str(exc)[len("%s: " % exc.target):], left)
        if isinstance(exc, Refused):
            raise Refused(exc.target, exc.kind, msg, holder=exc.holder, evidence=exc.evidence)
        raise ActFailed(exc.target, msg, exc.detail)
    return {"outcome": "done", "namespaces": namespaces}


def _left_by_unit(host, step):
    """What a unit stopped at `step` leaves when an earlier controller of it went in this run (its delete written:
    ActContext.deleted_controllers): which went, which stay (their state as read now, "state not read" when the read
    did not finish), and the namespaces still reached through them, whose I/O waits while they reconnect. None when
    nothing of the unit went."""
    unit = list(step.options.get("unit_controllers") or [])
    gone = [c for c in unit if c != step.target and c in host.deleted_controllers]
    if not gone:
        return None
    staying = [c for c in unit if c not in host.deleted_controllers]
    try:
        nvme = host.reader.view().snap.get("nvme") or {}
    except (deadline.DeadlineExceeded, RuntimeError, OSError):
        nvme = {}       # what the unit leaves is said all the same: "state not read"
    now = dict((c["name"], c) for c in nvme.get("controllers") or [])
    reached = sorted(ns["name"] for ns in nvme.get("namespaces") or []
                     if any(p.get("controller") in staying for p in ns.get("paths") or []))
    return ("its unit stopped half-way: %s deleted, %s still there (%s), and through %s %s, whose I/O waits "
            "while %s reconnect%s" % (
                ", ".join(gone), ", ".join(staying),
                ", ".join("%s %s" % (c, (now.get(c) or {}).get("state") or "state not read") for c in staying),
                "it" if len(staying) == 1 else "them", ", ".join(reached) or "namespaces not read now",
                "it" if len(staying) == 1 else "they", "s" if len(staying) == 1 else ""))


# the states of a controller that still reaches its namespaces (not being deleted)
REACHING_STATES = ("live", "connecting", "resetting", "new", "dead")


def wait_controller_gone(host, steps):
    """Wait until each deleted controller is gone (its name gone, or carrying another controller's identity) with
    the unmapped namespaces that go with it (`vanishing`: it is the last of their controllers the plan deletes):
    one forked sysfs read per round for all of them."""
    seen = {}

    def left(host, pending):
        names = sorted(set(st.target for st in pending) | set(
            c for st in pending for via in (st.options.get("vanishing_via") or {}).values() for c in via))
        vanishing = sorted(set(n for st in pending for n in st.options.get("vanishing") or []))
        return host.sysfs(read_left, (host.root, names, vanishing), "read of the deleted NVMe controllers")

    def gone(host, step, now):
        if now is None:
            now = left(host, [step])
        ctrl = now["controllers"].get(step.target)
        still = ctrl is not None and not step.identity.only(CONTROLLER_CHECK).differs_from(controller_identity(ctrl))
        vanishing = step.options.get("vanishing") or []
        via = step.options.get("vanishing_via") or {}
        # a namespace still reached through a path of a controller of its plan that is there and not going (its
        # unit refused at act time) stays, and is no failure; a controller that merely has such a name is not one
        kept = [n for n in vanishing if any(
            c in (via.get(n) or []) and (now["controllers"].get(c) or {}).get("state") in REACHING_STATES
            for c in (now.get("paths") or {}).get(n) or [])]
        namespaces = [n for n in vanishing if now["namespaces"].get(n) is not None and n not in kept]
        if not still and not namespaces:
            return {"outcome": "done", "namespaces_gone": [n for n in vanishing if n not in kept],
                    "namespaces_kept": kept}
        seen[id(step)] = (ctrl.get("state") if still else None, namespaces)
        return None

    def not_gone(host, step):
        state, namespaces = seen.get(id(step), (None, None))
        return ActFailed("controller %s" % step.target, "not gone %.0fs after its delete (controller: %s; "
                         "namespaces still there: %s)" % (host.wait_timeout, state or "gone",
                                                          ", ".join(namespaces or []) or "none"))

    return poll_steps(host, steps, gone, lambda st: host.wait_timeout, not_gone, read=False, prefetch=left)


# action -> runner(host, steps) -> [(step, result dict or error, seconds)]: the NVMe family's writers (act/families.py)
WRITERS = {
    "delete_controller": single(delete_controller, read=True, before=controllers_checked),
    "wait_controller_gone": wait_controller_gone,
}
