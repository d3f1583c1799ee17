# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identity of SAN devices, once: WWID, serial and initiator forms, serial matching, transport, harmless openers.

Every stage (read, judge, plan, act) and every module compares identities through these functions, so that the
judge and the act can never disagree on what "the same LU" or "not a workload" means; the identity a plan step
carries and the act's "same device?" re-check of it (`Identity`, `identity_diff`, at the end) too. Pure, no I/O.

An outside spelling of a WWID (a user's, the array's, an approved plan's) is turned into the host's own where it
enters (`Wwid`, `in_host_spelling`); inside, identities compare exactly, as multipath-tools does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# dm uuid of a multipath map: "mpath-" + its WWID
MPATH_UUID_PREFIX = "mpath-"
SAN_TRANSPORTS = ("iscsi", "fc")
SESSION_RE = re.compile(r"^session(\d+)$")
# An sd's kernel name: "sd" + base-26 letters (sd_format_disk_name: sda..sdz, sdaa..), at most 29 of them, the
# kernel's own bound (DISK_NAME_LEN 32 with "sd" and the NUL). {1,4} (475,254 disks) was a guess below the kernel's;
# no bound at all let any length through the input checks. Partitions (sda1) are not sd names.
SD_NAME_RE = re.compile(r"^sd[a-z]{1,29}\Z")  # \Z: "$" also matches before a final newline
# H:C:T:L: host, channel and target are unsigned 32-bit (10 digits), the LUN 64-bit (20 digits: scsilun_to_int of
# an extended LUN exceeds 10). ASCII digits only: "\d" also matches other scripts' digits.
HCTL_RE = re.compile(r"^([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,20})\Z")
_HEX = re.compile(r"^[0-9a-fA-F]+$")

# The harmless openers: processes known not to be a workload (the one name of the concept; docs/design.md,
# glossary). Two kinds, because they behave differently: the daemon stays, the transient udev probes leave.
# multipathd keeps an fd on every path it watches.
DAEMON_OPENERS = frozenset(["multipathd"])
# udev's probes get stuck in blkid on a queueing map (lab finding 2); disabling queueing makes their I/O fail
# and they go away. Names as /proc/PID/comm shows them (15 characters at most) on every udev generation.
# kpartx: with multipath-tools 0.11 / udev 257 (Debian trixie) the kpartx that udev runs on a map's change event
# is what gets stuck reading the partition table of an unmapped queueing map (lab finding 12; bookworm showed
# blkid); partition maps it created would be holders, which are judged on their own.
TRANSIENT_OPENERS = frozenset(["systemd-udevd", "(udev-worker)", "udev-worker", "udevd", "blkid", "udevadm",
                               "kpartx"])
HARMLESS_OPENERS = DAEMON_OPENERS | TRANSIENT_OPENERS


class InvalidInput(ValueError):
    """Bad input, refused before anything is read or written (validate re-exports it: one error for the modules)."""


def map_wwid(dm_uuid):
    """The WWID (a Wwid) of a multipath map from its dm uuid ("mpath-" + WWID), the uuid's text as it is: "mpath-"
    + it must name the map again (dmsetup -u, multipath -w); None for any other device-mapper device and for
    "mpath-" with nothing usable after it."""
    uuid = dm_uuid or ""
    if not uuid.startswith(MPATH_UUID_PREFIX):
        return None
    text = uuid[len(MPATH_UUID_PREFIX):]
    try:
        return _checked(Wwid, text, text)
    except InvalidInput:
        # not a name multipath gives a map (blank, "/", control characters): not one of its maps to us
        return None


def harmless(opener):
    """True for an opener that is known not to be a workload (see HARMLESS_OPENERS)."""
    return (opener.get("comm") or "") in HARMLESS_OPENERS


def is_hex(text):
    return bool(text) and bool(_HEX.match(text))


def multipath_wwid(wwid):
    """The WWID as a Wwid (multipath's notation), from the kernel's `device/wwid` or a user's input; None for
    nothing. See _normal_form."""
    return wwid_or_none(wwid)


def _normal_form(wwid):
    """The WWID as multipath names maps (udev ID_SERIAL), from the kernel's `device/wwid` or a user's input.

    naa.X -> 3x and eui.X -> 2x (hex, lower case as scsi_id prints it); t10.X -> 1X with each run of blanks
    made one "_" and the ends trimmed (scsi_id --replace-whitespace): the T10 vendor id is text, its case is kept.
    A bare NAA id as Windows, ESXi and inventory tools print it (32 hex digits starting with 6: NAA 6; 16 starting
    with 5: NAA 5) -> 3 + it. A form already in multipath notation is returned as is, hex lower-cased. None for
    nothing.
    """
    if wwid is None:
        return None
    value = wwid.strip().strip("\x00").strip()
    if not value:
        return None
    low = value.lower()
    if low.startswith("naa."):
        return "3" + low[4:]
    if low.startswith("eui."):
        return "2" + low[4:]
    if low.startswith("t10."):
        return "1" + re.sub(r"\s+", "_", value[4:].strip())
    if is_hex(value) and ((len(low) == 32 and low[0] == "6") or (len(low) == 16 and low[0] == "5")):
        return "3" + low
    if value.startswith("1"):
        return value  # a t10 vendor id in multipath's notation: text, even when all its characters are hex
    return low if is_hex(value) else value


# multipath's WWIDs (udev ID_SERIAL of a SCSI device) by VPD 0x83 designator type: 3 + NAA (16 or 32 hex digits),
# 2 + EUI-64 (16, 24 or 32), 1 + T10 vendor id (text)
_MULTIPATH_WWID = re.compile(r"^(?:3(?:[0-9a-f]{16}|[0-9a-f]{32})|2(?:[0-9a-f]{16}|[0-9a-f]{24}|[0-9a-f]{32})|1.+)$")


# after _normal_form a WWID has no blank (t10 runs became "_"), no control character and no "/" (it names the
# dm uuid and a line of the wwids file): text with one is not a WWID
_NOT_IN_WWID = re.compile(r"[\s\x00-\x1f\x7f/]")


class Wwid(str):
    """A WWID as multipath names the LU, built once where a WWID enters: the sysfs, dm and multipath reads, the
    array truth, the user's options, the approved plan. Its str value is what dmsetup -u, multipath -f and -w and
    the wwids file need: from an sd's `device/wwid`, a truth record or an option, the normal form (_normal_form:
    hex lower case, naa./eui./t10. and bare NAA ids turned into 3/2/1 + id, a t10 vendor text in its own case);
    from a map's dm uuid (map_wwid), the uuid's text as it is, since that is the name the kernel knows the map by
    (mpath-eui.X under NVMe's ID_WWN). Nothing after the entry normalises again (no `.lower()` outside this file).
    Wwid of a Wwid is itself; text that is no WWID raises InvalidInput.

    Equality and hash are the str's, exact: two t10 LUs may differ only in the case of their vendor text and the
    kernel and multipath tell them apart, so the host's own devices are keyed by their exact text. Two spellings
    meet in two ways only: where an outside spelling enters (a user's WWID naming a device, an approved plan), by
    wwid_text, the normal form with a t10 vendor text's case kept (wwid_matches, refuse_other_spelling,
    in_host_spelling), which turns it into the host's own spelling, so that everything after it (the plan's steps,
    the act's re-checks, the approval gate) compares exactly (Identity.differs_from, identity_diff); the array
    truth, which can only make a device look mapped, by wwid_key, also case-blind (same_wwid)."""

    __slots__ = ()

    def __new__(cls, value):
        if isinstance(value, Wwid):
            return value
        if not isinstance(value, str):
            raise InvalidInput("WWID must be a string, got %s" % type(value).__name__)
        return _checked(cls, _normal_form(value), value)


def _checked(cls, text, value):
    if not text or _NOT_IN_WWID.search(text):
        raise InvalidInput("WWID %r is not valid" % (value,))
    return str.__new__(cls, text)


def wwid_text(wwid):
    """The normal form of a WWID however it was spelt (a map's uuid text, upper-case hex, naa./eui. notation), a t10
    vendor text in its own case: what two spellings of one LU share, and two LUs never do. Text that is no WWID is
    itself; None for nothing."""
    if not wwid:
        return None
    if not isinstance(wwid, str):
        return wwid
    try:
        return str(Wwid(str(wwid)))
    except InvalidInput:
        return str(wwid)


def wwid_key(wwid):
    """wwid_text case-folded: how an array record finds the host's WWID (the array may spell a t10 vendor text in
    another case). For the truth only, where a match makes a device look mapped, never unmapped: never for a guard
    before a change (two LUs may differ only in case)."""
    text = wwid_text(wwid)
    return str.casefold(text) if isinstance(text, str) else text


def same_wwid(one, other):
    """Does an array record's WWID name this host WWID (wwid_key, case-blind)? False when either is missing."""
    return bool(one) and bool(other) and wwid_key(one) == wwid_key(other)


def wwid_has_prefix(wwid, prefixes):
    """Does the WWID start with one of the array prefixes (hex, see wwid_prefix), compared case-blind like
    wwid_key? (A t10 vendor text starting with hex letters, 1DELL..., is under the prefix 1de.)"""
    key = wwid_key(wwid) if wwid else None
    return bool(key) and key.startswith(tuple(str.casefold(p) for p in prefixes))


def wwid_matches(wanted, known):
    """Does the host's WWID `known` name the LU of `wanted` (a user's option, an expectation)? The same wwid_text:
    notation and hex case aside, exactly."""
    return bool(wanted) and bool(known) and wwid_text(wanted) == wwid_text(known)


def in_host_spelling(wwid, host_wwids):
    """An outside WWID (a user's option, the array truth, an approved plan: naa./eui. notation, hex in any case) as
    this host spells it, so that what comes after compares exactly: the one WWID of `host_wwids` (the host's own: a
    map's dm uuid text, a disk's normal form) that names the same LU (wwid_matches: notation and the case of hex
    aside, a t10 vendor text exactly), else its normal form (a Wwid), which is how the kernel spells an NAA or EUI-64
    id (lower-case hex after 3 or 2). None for nothing; text that is no WWID raises InvalidInput. A t10 vendor text
    in another case stays itself: it names another LU, or none."""
    outside = wwid_or_none(wwid)
    if outside is None:
        return None
    mine = set(w for w in host_wwids or () if w and wwid_matches(outside, w))
    return mine.pop() if len(mine) == 1 else outside


def refuse_other_spelling(wanted, known):
    """Raise InvalidInput when none of the host's WWIDs `known` is `wanted` (wwid_matches) but some differ from it
    only in case: a user's t10 vendor text in another case than the kernel's names another LU, or none; say
    which, never guess (a re-run after the named LU is gone would remove the other one)."""
    known = [k for k in known if k]
    if any(wwid_matches(wanted, k) for k in known):
        return
    others = sorted(set(str(k) for k in known if same_wwid(k, wanted)))
    if others:
        raise InvalidInput("WWID %s is not on this host as written; %s differ%s from it only in case (the kernel "
                           "tells them apart): give the WWID as the kernel spells it" % (
                               wanted, ", ".join(others), "s" if len(others) == 1 else ""))


def _stripped(text):
    """WWID text without the blanks and NULs the kernel pads it with ("" for blank text)."""
    return text.strip().strip("\x00").strip()


def wwid_or_none(value):
    """Wwid(value), or None for None and blank text (a device without a WWID); other non-WWIDs raise."""
    if value is None or (isinstance(value, str) and not _stripped(value)):
        return None
    return Wwid(value)


def kernel_wwid(text):
    """The Wwid of a WWID the kernel or udev reports (`device/wwid`, ID_SERIAL), or None. Text Wwid refuses (a t10
    vendor text of a local disk may hold a "/": "t10.ATA HP MSA/1000") is None too: that one device has no usable
    WWID, so it matches no array record and nothing removes it, and the rest of the host is still read."""
    try:
        return wwid_or_none(text)
    except InvalidInput:
        return None


def refused_wwid_text(text):
    """The kernel's WWID text that kernel_wwid refused (stripped), to be named in the facts; None when it gave a
    WWID or nothing."""
    if not isinstance(text, str) or kernel_wwid(text) is not None:
        return None
    return _stripped(text) or None


def wwid_prefix(text):
    """A WWID prefix (array_wwid_prefixes, hex) in the normal form's case: not a WWID, so without Wwid's prefix
    rules (a bare NAA id -> 3 + it would change what it starts with)."""
    return text.lower()


def is_multipath_wwid(value):
    """True for a WWID in a form multipath names maps by (what multipath_wwid gives for a kernel WWID)."""
    return bool(value) and bool(_MULTIPATH_WWID.match(value))


def normalize_initiator(value):
    """An initiator or target port name in one comparable form: IQN/EUI/NAA names lower case, WWPNs as bare hex
    (no 0x, colons or dashes)."""
    v = (value or "").strip().lower()
    if v.startswith("iqn.") or v.startswith("eui.") or v.startswith("naa."):
        return v
    hexonly = v.replace(":", "").replace("-", "")
    if hexonly.startswith("0x"):
        hexonly = hexonly[2:]
    if is_hex(hexonly):
        return hexonly
    return v


# The NVMe host identity (NVM Express Base Specification, "NVMe Qualified Names"): an NQN is
# "nqn.yyyy-mm.<reverse domain>:<string>", or "nqn.2014-08.org.nvmexpress:uuid:<UUID>", at most 223 bytes of UTF-8.
# Refused here besides: blanks, commas and control characters (a CR left by an editor, a trailing blank), which the
# connect string "hostnqn=...,hostid=..." the kernel parses cannot carry as one NQN.
NQN_MAX_BYTES = 223
_NQN = re.compile(r"^nqn\.[0-9]{4}-(?:0[1-9]|1[0-2])\.[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:[^\s,\x00-\x1f\x7f]+\Z")
_UUID_NQN_PREFIX = "nqn.2014-08.org.nvmexpress:uuid:"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def nvme_host_nqn(text):
    """The host NQN as given (NQNs compare exactly: libnvme's nvme_lookup_host and the kernel compare them with
    strcmp), or None when the text is no NQN."""
    if not isinstance(text, str) or len(text.encode("utf-8")) > NQN_MAX_BYTES or not _NQN.match(text):
        return None
    if text.startswith(_UUID_NQN_PREFIX) and not _UUID.match(text[len(_UUID_NQN_PREFIX):]):
        return None
    return text


def uuid_text(text):
    """A UUID in lower case (its hex's case is not part of it: uuid_parse, %pU), or None when the text is no UUID:
    the host ID of NVMe, a namespace's UUID as sysfs prints it and as ONTAP's REST API gives it."""
    if not isinstance(text, str) or not _UUID.match(text.strip()):
        return None
    return text.strip().lower()


_NGUID = re.compile(r"^[0-9a-f]{32}\Z")


def nguid_text(text):
    """A namespace's NGUID as 32 lower-case hex digits, from the host's sysfs (`/sys/block/nvmeXnY/nguid`, which the
    kernel prints as a UUID: nguid_show, "%pU") or from an array's 32-digit form; None for anything else and for
    all zeros (no NGUID: the NVMe base specification's "not reported")."""
    if not isinstance(text, str):
        return None
    text = text.strip().lower()
    digits = text.replace("-", "") if _UUID.match(text) else text
    if not _NGUID.match(digits) or not digits.strip("0"):
        return None
    return digits


# An NSID in ONTAP's REST form: "8 hexadecimal digits (zero-filled) followed by a lower case h" (REST API reference,
# /protocols/nvme/subsystem-maps `nsid` and `anagrpid`, the same words from 9.6 to 9.17.1; the CLI's
# "<Hex 32bit Integer>"), e.g. "00000001h"
_ONTAP_HEX_ID = re.compile(r"^([0-9a-fA-F]{8})h\Z")
_DECIMAL_ID = re.compile(r"^[1-9][0-9]{0,9}\Z")
# NVMe base spec: NSIDs 1 to FFFFFFFEh name namespaces; 0 is none and FFFFFFFFh is the broadcast value
NSID_MAX = 0xFFFFFFFE


def ontap_hex_id(text):
    """The number of ONTAP's documented "00000001h" text (an NSID or ANA group ID of a subsystem map), None for any
    other shape."""
    return int(text[:8], 16) if isinstance(text, str) and _ONTAP_HEX_ID.match(text) else None


def nsid_number(value):
    """An NVMe namespace ID as the host's sysfs gives it (`/sys/block/nvmeXnY/nsid`, decimal): a positive int, from
    an int, from ONTAP's documented text ("00000001h": hex) or from decimal text without a leading zero. None for
    anything else: a bool, a float, 0, FFFFFFFFh, a hex text in another shape, and a zero-led digit string such as
    "00000010", which is either ONTAP's text without its "h" (16) or a decimal 10: never guessed, a wrong NSID
    would match another namespace."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL_ID.match(value):
        number = int(value)
    else:
        number = ontap_hex_id(value)
    return number if number is not None and 0 < number <= NSID_MAX else None


def nvme_host_id(text):
    """The host ID as a UUID in lower case (the kernel parses hostid= with uuid_parse), or None when the text is no
    UUID."""
    return uuid_text(text) if isinstance(text, str) and _UUID.match(text) else None


# How each kind of initiator identity compares across hosts (the fleet's shared-identity check): iSCSI names
# case-blind (RFC 3720 3.2.6.1: iSCSI names are case-folded by iSCSI-nameprep), WWPNs as bare hex, host NQNs
# exactly, host IDs as UUIDs.
IDENTITY_KINDS = ("iscsi", "fc", "nvme_hostnqn", "nvme_hostid")


def identity_key(kind, value):
    """The key two hosts' identities of one kind are the same by; None for a value that is no identity."""
    if not isinstance(value, str) or not value.strip():
        return None
    if kind == "iscsi":
        return value.strip().lower()
    if kind == "fc":
        key = normalize_initiator(value)
        return key if is_hex(key) else None
    if kind == "nvme_hostnqn":
        return nvme_host_nqn(value)
    if kind == "nvme_hostid":
        return nvme_host_id(value)
    raise ValueError("unknown identity kind %r" % (kind,))


def serial_matches(observed, serial, serial_hex=None):
    """Does a VPD 0x80 serial (sysfs or live) belong to the LU with this ONTAP serial?

    ONTAP gives the ASCII serial; LIO with NetApp identity gives the hex string, maybe with a leading '0'
    (lab finding 7). Accept the ASCII serial, its hex, '0' + hex, or hex that decodes to the serial.
    None when nothing was observed (no evidence either way), else True/False.
    """
    if not observed:
        return None
    serial = serial or ""
    shex = (serial_hex or (serial.encode("latin-1", "replace").hex() if serial else "")).lower()
    obs = observed.strip()
    if serial and obs == serial:
        return True
    if shex and obs.lower() in (shex, "0" + shex):
        return True
    if serial and is_hex(obs) and len(obs) % 2 == 0:
        return bytes.fromhex(obs).decode("latin-1") == serial
    return False


def transport_of(device_path):
    """(transport, session) of an sd from its resolved sysfs device path: iSCSI disks live below a sessionN
    directory, FC disks below an rport-H:C-N directory; anything else is "other"."""
    comps = (device_path or "").split("/")
    session = None
    for c in comps:
        if SESSION_RE.match(c):
            session = c
    if session:
        return "iscsi", session
    if any(c.startswith("rport-") for c in comps):
        return "fc", None
    return "other", None


# ---------------------------------------------------------------------------------------------------------------
# The "same device?" rule: the identity a plan step carries for the act to re-check, the comparison of it with what
# is read again (exact: Identity.differs_from, identity_diff), and the description of a difference. Here, not in
# plan/steps: identity owns every identity form, and the plan (which builds a step's identity), the approval gate
# and the act's re-checks (which compare it) all stand above it, so none of them needs another stage's rule.
def map_identity(map_info):
    return {"name": map_info.get("name"), "wwid": map_info.get("wwid"), "dm": map_info.get("dm"),
            "dev": map_info.get("dev"), "slaves": sorted(p.get("name") for p in map_info.get("paths") or [])}


def disk_identity(disk):
    return {"name": disk.get("name"), "hctl": disk.get("hctl"), "dev": disk.get("dev"), "wwid": disk.get("wwid"),
            "serial": disk.get("serial")}


IDENTITY_KEYS = ("name", "hctl", "dev", "wwid", "serial")


def address_text(address):
    """An NVMe-oF controller's transport address (the key=value pairs of its sysfs `address`, as a dict) as one text,
    its pairs sorted: the host's own spelling of it, compared exactly."""
    return ",".join("%s=%s" % kv for kv in sorted((address or {}).items())) or None


def controller_identity(ctrl):
    """What names one NVMe-oF controller (a record of observe.nvme.assemble_nvme): its kernel name, which is reused,
    and what a reused name would not repeat: the subsystem it connects to, the transport and its address, the host
    NQN it connected as and the controller ID the subsystem gave it."""
    return {"name": ctrl.get("name"), "subsysnqn": ctrl.get("subsysnqn"), "transport": ctrl.get("transport"),
            "address": address_text(ctrl.get("address")), "hostnqn": ctrl.get("hostnqn"), "cntlid": ctrl.get("cntlid")}


CONTROLLER_KEYS = ("name", "subsysnqn", "transport", "address", "hostnqn", "cntlid")


def identity_diff(expected, actual, keys=IDENTITY_KEYS):
    """{key: {"expected": x, "actual": y}} for every key the caller expects (not None, not "") that is not the same
    value now, exactly: both sides are in the host's own spelling (an outside spelling is converted where it enters,
    in_host_spelling), so a WWID compares as multipath-tools compares it, as text."""
    diff = {}
    for key in keys:
        want = (expected or {}).get(key)
        if want is None or (isinstance(want, str) and not want):
            continue
        have = (actual or {}).get(key)
        if not want == have:  # not `!=`: NaN is never the same value, not even as itself
            diff[key] = {"expected": want, "actual": have}
    return diff


# What each re-check of the act compares: a map before queueing off, flush and forced removal (verify_map: the
# paths it has now may not include one the plan did not see), a disk before its buffers' flush and its delete
# (verify_identity), a disk before its rescan (rescan_disk: not its WWID or serial, which the rescan is there to
# read again).
MAP_CHECK = ("name", "wwid", "dm", "dev", "slaves")
DISK_CHECK = IDENTITY_KEYS
RESCAN_CHECK = ("name", "hctl", "dev")
# an NVMe-oF controller before its delete (act.nvme): compared with controller_identity of the live one
CONTROLLER_CHECK = CONTROLLER_KEYS
IDENTITY_FIELDS = IDENTITY_KEYS + ("dm", "slaves") + CONTROLLER_KEYS[1:]


class Identity(object):
    """What the act re-reads and compares before it touches a device: name, H:C:T:L, major:minor, WWID, serial, for
    a map its dm-N and its paths (slaves), for an NVMe-oF controller its subsystem NQN, transport, address, host NQN
    and controller ID (controller_identity). Immutable, and in the host's own spelling (a map's WWID its dm uuid's
    text, a disk's its normal form, as the reads build them): every outside spelling (a user's WWID, the array
    truth, an approved plan) was converted where it entered (in_host_spelling), so `differs_from` compares exactly.

    A field that is None (or "") is not compared: an identity built for a check carries only that check's fields
    (`expected`, with MAP_CHECK, DISK_CHECK or RESCAN_CHECK). `slaves` (a tuple) is compared as "no path the plan
    did not see": a path gone since is no difference, an added one is, and () expects no path at all."""

    __slots__ = IDENTITY_FIELDS

    def __init__(self, name=None, hctl=None, dev=None, wwid=None, serial=None, dm=None, slaves=None, **controller):
        unknown = set(controller) - set(CONTROLLER_KEYS)
        if unknown:
            raise TypeError("Identity has no field %s" % ", ".join(sorted(unknown)))
        values = dict((key, controller.get(key)) for key in CONTROLLER_KEYS)
        values.update({"name": name, "hctl": hctl, "dev": dev, "wwid": wwid, "serial": serial, "dm": dm,
                       "slaves": None if slaves is None else tuple(slaves)})
        for key in IDENTITY_FIELDS:
            object.__setattr__(self, key, values[key])

    @classmethod
    def expected(cls, expect, fields=IDENTITY_FIELDS):
        """The identity a step's `expect` (its wire form, a dict) names, with only `fields` carried."""
        expect = expect or {}
        return cls(**dict((key, expect.get(key)) for key in fields))

    def only(self, fields):
        """The same identity carrying only `fields` (a check's: MAP_CHECK, DISK_CHECK, RESCAN_CHECK,
        CONTROLLER_CHECK)."""
        return Identity(**dict((key, getattr(self, key)) for key in fields))

    def __setattr__(self, key, value):
        raise AttributeError("an Identity is immutable")

    def __delattr__(self, key):
        raise AttributeError("an Identity is immutable")

    def as_dict(self):
        """{field: value} of the fields it carries (slaves as a list)."""
        out = dict((key, getattr(self, key)) for key in IDENTITY_FIELDS if getattr(self, key) is not None)
        if "slaves" in out:
            out["slaves"] = list(out["slaves"])
        return out

    def differs_from(self, live):
        """{key: {"expected": x, "actual": y}} for each carried field that the live device (a map or disk record as
        observe reads it, or an Identity) does not have exactly; {} when it is the device this identity names.
        For slaves, "actual" lists the paths the plan did not see."""
        now = live.as_dict() if isinstance(live, Identity) else (live or {})
        diff = identity_diff(self.as_dict(), now, IDENTITY_KEYS + ("dm",) + CONTROLLER_KEYS[1:])
        if self.slaves is not None:
            paths = now.get("slaves") if isinstance(live, Identity) else [p.get("name") for p in now.get("paths") or []]
            added = sorted(set(paths or []) - set(self.slaves))
            if added:
                diff["slaves"] = {"expected": list(self.slaves), "actual": added}
        return diff

    def __eq__(self, other):
        return isinstance(other, Identity) and all(getattr(self, k) == getattr(other, k) for k in IDENTITY_FIELDS)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(tuple(getattr(self, k) for k in IDENTITY_FIELDS))

    def __repr__(self):
        return "Identity(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.as_dict().items()))


def describe_diff(diff):
    return ", ".join("%s expected %s, found %s" % (k, v["expected"], v["actual"]) for k, v in sorted(diff.items()))


def disk_step_identity(disk, expected=None):
    """The identity a disk's flush_buffers and delete_disk steps carry: the disk's (disk_identity), with the WWID and
    serial the caller expected where it gave them (scsi_delete's, in the disk's own spelling, which
    Identity.differs_from found exactly the disk's)."""
    ident = disk_identity(disk)
    for key in ("wwid", "serial"):
        if (expected or {}).get(key):
            ident[key] = expected[key]
    return ident


# What wait_disk_gone carries: the disk to wait for, and its WWID for the act's hint to forget it by hand.
GONE_KEYS = ("name", "hctl", "dev", "wwid")


def gone_identity(ident):
    """The part of a disk step's identity (disk_step_identity) that its wait_disk_gone step carries (GONE_KEYS)."""
    return dict((key, ident[key]) for key in GONE_KEYS)
