# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error types whose fields, not their text, drive control flow.

An error that decides what happens next carries `kind` (machine-readable), `device` (what was addressed) and
`identity` (what was expected and what was found); its message is prose for people and is never parsed. Errors
raised in a forked child (deadline.call) cross the pipe with their fields and come back as ChildFailed.
Stdlib only, no imports from this collection: every stage may import it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class SanError(Exception):
    """An error with structured fields. Subclasses set `kind`."""

    kind = "error"

    def __init__(self, reason, device=None, identity=None, kind=None):
        self.reason = reason
        self.device = device
        self.identity = dict(identity or {})
        if kind:
            self.kind = kind
        super(SanError, self).__init__(reason)

    def fields(self):
        """The JSON-able fields (what a forked child sends back with its message)."""
        return {"kind": self.kind, "device": self.device, "identity": self.identity, "reason": self.reason}


class IdentityChanged(SanError, ValueError):
    """The kernel name, address or device number no longer is the device that was checked: nothing was written."""

    kind = "identity_changed"

    def __str__(self):
        return "IDENTITY CHANGED: %s" % self.reason


class ChildFailed(RuntimeError):
    """A function run in a forked child raised. `error_type` is the child exception's class name; `kind`,
    `device`, `identity` and `reason` are its fields when it was a SanError (else kind is None). The message is
    the one deadline.call always gave: "<what>: <Type>: <message>"."""

    def __init__(self, what, error_type, message, fields=None):
        self.what = what
        self.error_type = error_type
        self.message = message
        fields = fields or {}
        self.kind = fields.get("kind")
        self.device = fields.get("device")
        self.identity = fields.get("identity") or {}
        self.reason = fields.get("reason")
        super(ChildFailed, self).__init__("%s: %s: %s" % (what, error_type, message))

    @staticmethod
    def payload(exc):
        """What a child sends for `exc` (JSON-able)."""
        out = {"error": "%s: %s" % (type(exc).__name__, exc), "error_type": type(exc).__name__,
               "message": str(exc)}
        if isinstance(exc, SanError):
            out["fields"] = exc.fields()
        return out

    @classmethod
    def from_payload(cls, what, payload):
        return cls(what, payload.get("error_type") or "Exception", payload.get("message", payload.get("error")),
                   payload.get("fields"))

    @classmethod
    def of(cls, what, exc):
        """As deadline.call reports `exc` raised in its child (for callers that run the function in-process)."""
        return cls.from_payload(what, cls.payload(exc))

    def is_identity_change(self):
        return self.kind == IdentityChanged.kind


class Refused(Exception):
    """The plan, the in-use gate (judge.usage) or an act on re-check refuses to touch `target`: nothing was changed by the refusal.

    `kind` is machine-readable (mounted, swap, holder, opener, open_count, live_map, transport, identity,
    unknown, invalid, not_san_host, no_target, came_back, unanswered, not_probed, truth_too_old, ...), `holder`
    names what holds the device when there is one.
    """

    def __init__(self, target, kind, msg, holder=None, evidence=None):
        self.target = target
        self.kind = kind
        self.holder = holder
        self.evidence = evidence or {}
        super(Refused, self).__init__("%s: %s" % (target, msg))

    def to_dict(self):
        return {"target": self.target, "kind": self.kind, "holder": self.holder, "msg": str(self),
                "evidence": self.evidence}
