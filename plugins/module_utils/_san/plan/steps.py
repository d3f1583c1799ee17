# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's vocabulary: the actions and their order, and a step (`Step`, built by `step()`); a refusal is
errors.Refused. A step is a typed value::

    Step(action="flush_map", target="3600a0980...",
         identity=Identity(name=..., wwid=..., dm=..., dev=..., slaves=(...)),   # what the act re-reads and compares
         options={"force_remove": False},                                       # how the act does it
         reason="why this step is needed", phase="flush", unit="map 3600a0980...")

Its `identity` (identity.Identity, in the host's own spelling) is what the act re-reads right before it acts and
compares with Identity.differs_from, the act's one comparison; its `options` are instructions to the act, apart from
it, and only the ones its action reads (OPTIONS). A module returns a step in its wire form (`to_wire`: a dict of
plain values); `from_wire` reads that form back, strictly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import types

from ansible_collections.sanfleet.remediation.plugins.module_utils._san.identity import Identity
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.judge.families import FAMILIES
from ansible_collections.sanfleet.remediation.plugins.module_utils._san.observe import users


# The plan's vocabulary, from every family's words (judge.families.Family.actions, in registry order): the actions
# understood by act.execute.execute, the order a whole host's plan runs in (plan_cleanup: every unit's steps of one
# kind side by side, so that act.execute.execute checks them against one read of the host, a unit keeping its own
# order), and what the act of each action reads besides the identity it re-checks, and nothing else (OPTIONS).
def vocabulary(families):
    """(the actions in the order a host's plan runs them, {action: the options its act reads}, {action: the kind of
    object it acts on: a map, a disk, a scan's H:C:T:L, a controller}) of `families`."""
    words = [(kind, action, options) for family in families for kind, action, options in family.actions]
    return (tuple(action for _kind, action, _options in words), dict((a, o) for _k, a, o in words),
            dict((a, k) for k, a, _o in words))


HOST_ORDER, OPTIONS, KINDS = vocabulary(FAMILIES)
ACTIONS = HOST_ORDER


# SCSI's actions by the object they act on (judge.verdicts.PLAN_ACTIONS), in HOST_ORDER
MAP_ACTIONS, DISK_ACTIONS, SCAN_ACTIONS = (tuple(a for a in HOST_ORDER if KINDS[a] == kind)
                                           for kind in ("map", "disk", "scan"))


# The actions whose target is an sd by name (the removal's disk steps and the rescan of a reused LUN's disk): the
# act reads these as disks, every other step by its map.
SD_TARGET_ACTIONS = DISK_ACTIONS + ("rescan_disk",)


# Openers that are not a workload: multipathd itself (it keeps fds on paths) and udev's probes, which get stuck
# in blkid on a queueing map (lab finding 2). Disabling queueing makes their I/O fail and they go away.
HARMLESS_OPENERS = users.HARMLESS_OPENERS


# How long verify_unused waits, after queueing is off, for openers blocked in a dead map's I/O to leave.
RELEASE_SETTLE = 10.0


# Probe results (observe.read.Host.probe_path) that mean "the device answers and has a medium".
ANSWERING = ("ready",)


# Host evidence that the LU behind a path is gone (never "no answer": a dropped portal also gives none).
LU_GONE = ("lun_not_supported", "pq1")


WIRE_KEYS = ("action", "target", "identity", "options", "reason", "phase", "unit")


class Step(object):
    """One step of a plan (see the module's docstring). Immutable, its options too (read-only mappings and tuples,
    copied from what the plan gave): a plan that adds to a step makes a new one (`with_options`, `tagged`), and
    nothing between the plan and the act can change what the act is told."""

    __slots__ = WIRE_KEYS

    def __init__(self, action, target, identity=None, options=None, reason="", phase=None, unit=None):
        if action not in OPTIONS:
            raise ValueError("unknown action %r" % (action,))
        if not isinstance(target, str) or not target:
            raise ValueError("a %s step needs a target (a name), not %r" % (action, target))
        if identity is not None and not isinstance(identity, Identity):
            raise TypeError("a step's identity is an identity.Identity, not %s" % type(identity).__name__)
        options = dict(options or {})
        unknown = sorted(set(options) - set(OPTIONS[action]))
        if unknown:
            raise ValueError("%s takes no option %s" % (action, ", ".join(unknown)))
        for key, value in (("action", action), ("target", target), ("identity", identity or Identity()),
                           ("options", _frozen(options)), ("reason", reason or ""), ("phase", phase), ("unit", unit)):
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise AttributeError("a Step is immutable")

    def __delattr__(self, key):
        raise AttributeError("a Step is immutable")

    def with_options(self, **options):
        """The same step with these options added (or replaced)."""
        return Step(self.action, self.target, self.identity, dict(self.options, **options), self.reason,
                    self.phase, self.unit)

    def tagged(self, phase, unit):
        """The same step in role phase `phase` (flush, delete, rescan) and unit `unit`."""
        return Step(self.action, self.target, self.identity, self.options, self.reason, phase, unit)

    def to_wire(self):
        """The step as a module returns it: plain values, the identity as the fields it carries."""
        return {"action": self.action, "target": self.target, "identity": self.identity.as_dict(),
                "options": wire(self.options), "reason": self.reason, "phase": self.phase, "unit": self.unit}

    @classmethod
    def from_wire(cls, form):
        """A step from its wire form (to_wire), strictly: unknown keys, actions, identity fields or options raise
        ValueError or TypeError."""
        if not isinstance(form, dict):
            raise TypeError("a step is a dict, not %s" % type(form).__name__)
        unknown = sorted(set(form) - set(WIRE_KEYS))
        if unknown:
            raise ValueError("a step has no key %s" % ", ".join(unknown))
        fields = form.get("identity") or {}
        if not isinstance(fields, dict):
            raise TypeError("a step's identity is a dict, not %s" % type(fields).__name__)
        return cls(form.get("action"), form.get("target"), Identity(**fields), form.get("options"),
                   form.get("reason") or "", form.get("phase"), form.get("unit"))

    def __eq__(self, other):
        return isinstance(other, Step) and self.to_wire() == other.to_wire()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.action, self.target, self.identity, self.phase, self.unit))

    def __repr__(self):
        return "Step(%s %s, unit=%r)" % (self.action, self.target, self.unit)


def _frozen(value):
    """A read-only copy of an option's value: mappings as read-only mappings, lists as tuples."""
    if isinstance(value, (dict, types.MappingProxyType)):
        return types.MappingProxyType(dict((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def step(action, target, identity=None, reason="", options=None):
    """A Step; `identity` is an identity.Identity or the dict of its fields (map_identity, disk_identity, ...)."""
    if isinstance(identity, dict):
        identity = Identity(**identity)
    return Step(action, target, identity, options, reason)


def in_host_order(steps):
    """The steps ordered by HOST_ORDER, each unit's own steps keeping their relative order."""
    rank = dict((a, i) for i, a in enumerate(HOST_ORDER))
    return [st for _i, st in sorted(enumerate(steps), key=lambda x: (rank[x[1].action], x[0]))]


def wire(value):
    """`value` as plain values (what JSON and a module's result take): every Step in it (a step, a list of them, a
    result dict holding them) in its wire form, read-only mappings as dicts, tuples as lists."""
    if isinstance(value, Step):
        return value.to_wire()
    if isinstance(value, (dict, types.MappingProxyType)):
        return dict((k, wire(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def with_phase(steps, phase, unit):
    """The steps tagged with the role phase (flush, delete, rescan) that runs them, so a tag selects whole units, and
    with their unit (what one refusal or failure stops at act time)."""
    return [st.tagged(phase, unit) for st in steps]
