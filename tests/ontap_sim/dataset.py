"""Datasets for the ONTAP simulator: from a short static description, from the SAN lab's truth, or generated.

Static description (every key but ``luns``/``igroups`` optional)::

    {"cluster": "cl1", "version": "9.14.1", "svms": ["svm1"],
     "igroups": [{"name": "host1", "svm": "svm1", "protocol": "iscsi", "os_type": "linux",
                  "initiators": ["iqn.1994-05.com.redhat:host1"]}],
     "luns": [{"path": "/vol/v1/lun1", "svm": "svm1", "serial": "80AbCdEf12-+", "size_bytes": 1073741824,
               "state": "online", "maps": [{"igroup": "host1", "lun_id": 1}]}],
     "targets": {"svm1": {"iscsi": "iqn.1992-08.com.netapp:sn.1:vs.2", "addresses": ["192.0.2.10"],
                          "fc_wwpns": ["20:01:00:a0:98:00:00:01"]}},
     "nvme": {"svm1": {"addresses": ["192.0.2.20"], "fc_wwpns": ["20:05:00:a0:98:00:00:02"],
              "subsystems": [{"name": "sub_h1", "hosts": ["nqn.2014-08.org.nvmexpress:uuid:..."],
                              "namespaces": [{"path": "/vol/v1/ns1", "nsid": 1}]}]}}}

Every SVM gets an iSCSI service (target name generated like ONTAP's ``iqn.1992-08.com.netapp:sn.<hex>:vs.<n>``
unless ``targets`` names it); LIFs exist only as ``targets`` lists them. NVMe (a service, NVMe/TCP and NVMe/FC
LIFs, subsystems with their host NQNs, namespaces and their maps) exists only on the SVMs ``nvme`` lists.

The result is a :class:`Dataset` holding ONTAP-shaped objects (field names and types of ONTAP's REST schema).
"""

import random
import string
import uuid

SERIAL_CHARS = string.ascii_letters + string.digits + "$/+-"


def _uuid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ontap-sim:" + ":".join(str(p) for p in parts)))


class Dataset:
    def __init__(self, cluster="sim-cluster", version="9.14.1"):
        gen, major, minor = (int(x) for x in version.split(".")[:3])
        self.cluster = {"name": cluster, "uuid": _uuid("cluster", cluster),
                        "version": {"full": "NetApp Release %s: simulated" % version, "generation": gen,
                                    "major": major, "minor": minor}}
        self.svms = []        # {"uuid", "name", "state"}
        self.igroups = []     # ONTAP igroup objects without lun_maps
        self.luns = []        # ONTAP lun objects without lun_maps / status.mapped
        self.maps = []        # {"lun_uuid", "igroup_uuid", "logical_unit_number"}
        self.iscsi_services = []   # ONTAP iscsi_service objects: {svm, target: {name, alias}, enabled}
        self.ip_interfaces = []    # ONTAP ip_interface objects: {uuid, name, svm, ip: {address}, services, ...}
        self.fc_interfaces = []    # ONTAP fc_interface objects: {uuid, name, svm, wwpn, data_protocol, ...}
        self.nvme_services = []    # ONTAP nvme_service objects: {svm, enabled}
        self.nvme_subsystems = []  # ONTAP nvme_subsystem objects without subsystem_maps
        self.namespaces = []       # ONTAP nvme_namespace objects without subsystem_map / status.mapped
        self.nvme_maps = []        # {svm, subsystem_uuid, subsystem_name, namespace_uuid, namespace_name, nsid, anagrpid}

    # -- building
    def svm(self, name):
        for svm in self.svms:
            if svm["name"] == name:
                return {"name": name, "uuid": svm["uuid"]}
        rec = {"uuid": _uuid("svm", self.cluster["name"], name), "name": name, "state": "running"}
        self.svms.append(rec)
        ref = {"name": name, "uuid": rec["uuid"]}
        self.iscsi_services.append({"svm": dict(ref), "enabled": True, "target": {
            "name": "iqn.1992-08.com.netapp:sn.%s:vs.%d" % (self.cluster["uuid"].replace("-", ""), len(self.svms) + 1),
            "alias": name}})
        return ref

    def set_targets(self, svm, iscsi=None, addresses=(), fc_wwpns=()):
        """What identifies the SVM on the wire: its iSCSI target name, iSCSI data LIF addresses, FC LIF WWPNs."""
        ref = self.svm(svm)
        if iscsi:
            for service in self.iscsi_services:
                if service["svm"]["name"] == svm:
                    service["target"]["name"] = iscsi
        for n, address in enumerate(addresses):
            self.ip_interfaces.append({"uuid": _uuid("lif", svm, address), "name": "%s_iscsi_%d" % (svm, n),
                                       "svm": dict(ref), "ip": {"address": address, "family": "ipv4", "netmask": "24"},
                                       "enabled": True, "state": "up", "scope": "svm",
                                       "services": ["data_core", "data_iscsi"]})
        for n, wwpn in enumerate(fc_wwpns):
            self.fc_interfaces.append({"uuid": _uuid("fclif", svm, wwpn), "name": "%s_fc_%d" % (svm, n),
                                       "svm": dict(ref), "wwpn": wwpn, "wwnn": "20:00" + wwpn[5:],
                                       "data_protocol": "fcp", "enabled": True, "state": "up"})

    def set_nvme(self, svm, addresses=(), enabled=True, lif_state="up", fc_wwpns=()):
        """An NVMe service on the SVM, its NVMe/TCP data LIFs (service data_nvme_tcp) and its NVMe/FC LIFs (FC
        interfaces of data_protocol fc_nvme, WWPNs spelled as ONTAP documents them: 20:05:00:50:56:bb:a0:e0)."""
        ref = self.svm(svm)
        if not any(s["svm"]["name"] == svm for s in self.nvme_services):
            self.nvme_services.append({"svm": dict(ref), "enabled": enabled})
        for n, address in enumerate(addresses):
            self.ip_interfaces.append({"uuid": _uuid("nvmelif", svm, address), "name": "%s_nvme_tcp_%d" % (svm, n),
                                       "svm": dict(ref), "ip": {"address": address, "family": "ipv4", "netmask": "24"},
                                       "enabled": True, "state": lif_state, "scope": "svm",
                                       "services": ["data_core", "data_nvme_tcp"]})
        for n, wwpn in enumerate(fc_wwpns):
            self.fc_interfaces.append({"uuid": _uuid("nvmefclif", svm, wwpn), "name": "%s_nvme_fc_%d" % (svm, n),
                                       "svm": dict(ref), "wwpn": wwpn, "wwnn": "20:00" + wwpn[5:],
                                       "data_protocol": "fc_nvme", "enabled": True, "state": lif_state})

    def add_subsystem(self, name, svm="svm1", hosts=(), os_type="linux", nqn=None):
        rec = {"uuid": _uuid("subsystem", svm, name), "name": name, "svm": self.svm(svm), "os_type": os_type,
               "target_nqn": nqn or "nqn.1992-08.com.netapp:sn.%s:subsystem.%s"
               % (self.cluster["uuid"].replace("-", ""), name),
               "serial_number": "w" + _uuid("subsystem-serial", svm, name).replace("-", "")[:19],
               "delete_on_unmap": False, "hosts": [{"nqn": h} for h in hosts]}
        self.nvme_subsystems.append(rec)
        return rec

    def add_namespace(self, path, svm="svm1", size_bytes=1 << 30, state="online", os_type="linux", uuid_=None):
        parts = path.strip("/").split("/")
        rec = {"uuid": uuid_ or _uuid("namespace", svm, path), "name": path, "svm": self.svm(svm), "os_type": os_type,
               "enabled": True, "status": {"state": state, "container_state": "online", "read_only": False},
               "space": {"size": int(size_bytes), "used": 0, "block_size": 4096},
               "location": {"namespace": parts[-1], "volume": {"name": parts[1] if len(parts) > 2 else "vol0",
                                                               "uuid": _uuid("vol", svm, parts[1])}}}
        self.namespaces.append(rec)
        return rec

    def map_namespace(self, namespace, subsystem, nsid, anagrpid=None):
        self.nvme_maps.append({"svm": dict(subsystem["svm"]), "subsystem_uuid": subsystem["uuid"], "subsystem_name": subsystem["name"],
                               "namespace_uuid": namespace["uuid"], "namespace_name": namespace["name"],
                               # nsid and anagrpid as ONTAP's REST API reference documents them (9.6 to 9.17.1,
                               # /protocols/nvme/subsystem-maps): "8 hexadecimal digits (zero-filled) followed by a
                               # lower case h", e.g. "00000001h"
                               "nsid": "%08xh" % int(nsid), "anagrpid": anagrpid or "%08xh" % int(nsid)})

    def add_igroup(self, name, svm="svm1", protocol="iscsi", os_type="linux", initiators=(), uuid_=None):
        rec = {"uuid": uuid_ or _uuid("igroup", svm, name), "name": name, "svm": self.svm(svm),
               "protocol": protocol, "os_type": os_type,
               "initiators": [{"name": i, "comment": ""} for i in initiators]}
        self.igroups.append(rec)
        return rec

    def add_lun(self, path, serial, svm="svm1", size_bytes=1 << 30, state="online", os_type="linux", uuid_=None,
                logical_unit=None):
        parts = path.strip("/").split("/")
        volume = parts[1] if len(parts) > 2 else "vol0"
        rec = {"uuid": uuid_ or _uuid("lun", svm, path), "name": path, "svm": self.svm(svm),
               "serial_number": serial, "os_type": os_type, "enabled": True,
               "status": {"state": state, "container_state": "online", "read_only": False},
               "space": {"size": int(size_bytes), "used": 0},
               "location": {"logical_unit": logical_unit or parts[-1], "volume": {"name": volume,
                                                                                  "uuid": _uuid("vol", svm, volume)}}}
        self.luns.append(rec)
        return rec

    def map(self, lun, igroup, lun_id):
        self.maps.append({"lun_uuid": lun["uuid"], "igroup_uuid": igroup["uuid"], "logical_unit_number": int(lun_id)})

    def igroup_by_name(self, svm, name):
        for rec in self.igroups:
            if rec["name"] == name and rec["svm"]["name"] == svm:
                return rec
        raise KeyError("no igroup %s in SVM %s" % (name, svm))

    # -- summaries used by tests
    def expected_records(self, initiators=None):
        """What ontap_luns should return (design.md record shape), computed independently of the plugin."""
        want = None if initiators is None else {i.lower() for i in initiators}
        by_uuid = {g["uuid"]: g for g in self.igroups}
        luns = {l["uuid"]: l for l in self.luns}
        out = []
        for m in self.maps:
            ig, lun = by_uuid[m["igroup_uuid"]], luns[m["lun_uuid"]]
            inits = [i["name"] for i in ig["initiators"]]
            if want is not None and not want & {i.lower() for i in inits}:
                continue
            hexs = lun["serial_number"].encode().hex()
            out.append({"cluster": self.cluster["name"], "svm": lun["svm"]["name"], "path": lun["name"],
                        "uuid": lun["uuid"], "serial": lun["serial_number"], "serial_hex": hexs,
                        "wwid": "3600a0980" + hexs, "lun_id": m["logical_unit_number"], "igroup": ig["name"],
                        "igroup_protocol": ig["protocol"], "igroup_os_type": ig["os_type"],
                        "igroup_initiators": inits, "state": lun["status"]["state"],
                        "size_bytes": lun["space"]["size"]})
        out.sort(key=lambda r: (r["svm"], r["path"], r["igroup"]))
        return out


def from_description(desc):
    ds = Dataset(desc.get("cluster", "sim-cluster"), desc.get("version", "9.14.1"))
    for name in desc.get("svms", []):
        ds.svm(name)
    for ig in desc.get("igroups", []):
        ds.add_igroup(ig["name"], svm=ig.get("svm", "svm1"), protocol=ig.get("protocol", "iscsi"),
                      os_type=ig.get("os_type", "linux"), initiators=ig.get("initiators", []), uuid_=ig.get("uuid"))
    for svm, tgt in (desc.get("targets") or {}).items():
        ds.set_targets(svm, iscsi=tgt.get("iscsi"), addresses=tgt.get("addresses", ()),
                       fc_wwpns=tgt.get("fc_wwpns", ()))
    for svm, nvme in (desc.get("nvme") or {}).items():
        add_nvme_svm(ds, svm, nvme)
    for lun in desc.get("luns", []):
        svm = lun.get("svm", "svm1")
        rec = ds.add_lun(lun["path"], lun["serial"], svm=svm, size_bytes=lun.get("size_bytes", 1 << 30),
                         state=lun.get("state", "online"), uuid_=lun.get("uuid"))
        for m in lun.get("maps", []):
            ds.map(rec, ds.igroup_by_name(svm, m["igroup"]), m["lun_id"])
    return ds


def add_nvme_svm(ds, svm, nvme):
    """``{"addresses": [...], "fc_wwpns": [...], "enabled": true, "lif_state": "up", "subsystems": [{"name",
    "hosts": [nqn...], "nqn": optional, "namespaces": [{"path", "nsid", "state", "size_bytes"}]}],
    "unmapped": [path...]}``"""
    ds.set_nvme(svm, addresses=nvme.get("addresses", ()), enabled=nvme.get("enabled", True),
                lif_state=nvme.get("lif_state", "up"), fc_wwpns=nvme.get("fc_wwpns", ()))
    for sub in nvme.get("subsystems", []):
        subsystem = ds.add_subsystem(sub["name"], svm=svm, hosts=sub.get("hosts", ()), nqn=sub.get("nqn"))
        for ns in sub.get("namespaces", []):
            namespace = ds.add_namespace(ns["path"], svm=svm, size_bytes=ns.get("size_bytes", 1 << 30),
                                         state=ns.get("state", "online"))
            ds.map_namespace(namespace, subsystem, ns["nsid"])
    for path in nvme.get("unmapped", []):
        ds.add_namespace(path, svm=svm)


def from_lab_truth(truth):
    """Dataset matching the SAN lab's target (``Lab.truth()`` / ``sanlab-agent truth``), so the array and the
    host agree on LUNs, serials and LUN ids.

    Uses ``array_luns`` (records in the design.md array-truth shape, one per mapping) and ``lus`` (every LU the
    target has, mapped or not; NETAPP-identity LUs that are not mapped become unmapped ONTAP LUNs). The lab's
    second target (``sanlab-agent target2_truth``) has the same shape: its own cluster, SVM, target IQN and LIFs;
    so has the FC target (``sanlab-agent fc_truth``): ``fc_wwpns`` (target ports) become FC LIFs of its SVM and
    its igroup is an FC one of ``initiator_wwpns``.
    """
    array_luns = truth.get("array_luns") or []
    first = array_luns[0] if array_luns else {}
    ds = Dataset(first.get("cluster", "sanlab"))
    add_lab_target(ds, truth)
    return ds


def from_lab_truths(truths, cluster="sanlab"):
    """One cluster serving several lab targets, each as its own SVM (its target IQN, its portals as LIFs): the
    lookup's ``svm`` option then reads one of them. Records keep each SVM's name; ``cluster`` names them all."""
    ds = Dataset(cluster)
    for truth in truths:
        add_lab_target(ds, truth)
    return ds


def add_lab_nvme(ds, truth):
    """The lab's NVMe/TCP SVM (``sanlab-agent nvme_truth``): its NVMe service, the LIFs it still has, its subsystem
    (the agent's NQN and host NQNs) and every namespace, mapped or not, with the UUID the guest sees."""
    svm = truth["array"]["svm"]
    ds.set_nvme(svm, addresses=[lif["address"] for lif in truth["lifs"] if not lif["deleted"]])
    subsystem = ds.add_subsystem(truth["array"]["subsystem"], svm=svm, hosts=truth["host_nqns"],
                                 nqn=truth["subsystem_nqn"])
    for ns in truth["namespaces"]:
        namespace = ds.add_namespace(ns["name"], svm=svm, size_bytes=ns["size_bytes"], uuid_=ns["uuid"])
        if ns["mapped"]:
            ds.map_namespace(namespace, subsystem, ns["nsid"])
    return ds


def add_lab_target(ds, truth):
    """Add one lab target's SVM, igroup, LUNs and mappings (``truth`` as from_lab_truth takes it) to ``ds``; the
    lab's NVMe SVM when ``truth`` is its nvme_truth."""
    if truth.get("subsystem_nqn"):
        return add_lab_nvme(ds, truth)
    array_luns = truth.get("array_luns") or []
    first = array_luns[0] if array_luns else {}
    # a target whose LUNs are all unmapped has no records to name its SVM: the truth may name it
    svm = first.get("svm") or truth.get("svm") or "svm_sanlab"
    ds.svm(svm)
    if truth.get("target_iqn"):
        ds.set_targets(svm, iscsi=truth["target_iqn"],
                       addresses=[p.rsplit(":", 1)[0] for p in truth.get("portals") or []])
    if truth.get("fc_wwpns"):       # the lab's FC target (sanlab-agent fc_truth): its target ports are FC LIFs
        ds.set_targets(svm, fc_wwpns=truth["fc_wwpns"])
    igroups = {}
    for rec in array_luns:
        if rec["igroup"] not in igroups:
            igroups[rec["igroup"]] = ds.add_igroup(rec["igroup"], svm=rec["svm"], protocol=rec["igroup_protocol"],
                                                   os_type=rec["igroup_os_type"],
                                                   initiators=rec["igroup_initiators"])
    if not igroups and truth.get("initiator_wwpns"):
        name = truth.get("igroup") or "ig_sanlab_fc"
        igroups[name] = ds.add_igroup(name, svm=svm, protocol="fcp", initiators=truth["initiator_wwpns"])
    elif not igroups and truth.get("initiator_iqn"):
        name = truth.get("igroup") or "ig_sanlab"
        igroups[name] = ds.add_igroup(name, svm=svm, initiators=[truth["initiator_iqn"]])
    luns = {}
    for rec in array_luns:
        if rec["uuid"] not in luns:
            luns[rec["uuid"]] = ds.add_lun(rec["path"], rec["serial"], svm=rec["svm"], size_bytes=rec["size_bytes"],
                                           state=rec.get("state", "online"), uuid_=rec["uuid"])
        ds.map(luns[rec["uuid"]], igroups[rec["igroup"]], rec["lun_id"])
    mapped_serials = {rec["serial"] for rec in array_luns}
    for lu in truth.get("lus") or []:
        if lu.get("netapp") and lu.get("serial") and lu["serial"] not in mapped_serials:
            volume = truth.get("volume") or "/vol/vol_sanlab"
            ds.add_lun("%s/%s" % (volume, lu.get("name", lu["serial"])), lu["serial"], svm=svm,
                       size_bytes=lu.get("size_bytes") or 0,
                       uuid_=str(uuid.uuid5(uuid.NAMESPACE_URL, "sanlab:" + lu["serial"])))
    return ds


def generated(n_luns=10000, n_hosts=100, svms=("svm1", "svm2"), shared_igroups=2, seed=1, cluster="big-cluster"):
    """A large cluster: one per-host igroup per host (half iSCSI, half FC), ``shared_igroups`` igroups holding
    several hosts, and ``n_luns`` LUNs spread over them. Returns (dataset, {host: [initiators]})."""
    rnd = random.Random(seed)
    ds = Dataset(cluster)
    hosts = {}
    per_host = []
    for h in range(n_hosts):
        name = "host%03d" % h
        svm = svms[(h // 2) % len(svms)]
        if h % 2 == 0:
            inits = ["iqn.1994-05.com.redhat:%s" % name]
            proto = "iscsi"
        else:
            inits = ["20:00:00:25:b5:%02x:%02x:%02x" % (p, h >> 8, h & 0xff) for p in (0xa0, 0xb0)]
            proto = "fcp"
        hosts[name] = inits
        per_host.append(ds.add_igroup("ig_" + name, svm=svm, protocol=proto, initiators=inits))
    shared = []
    for s in range(shared_igroups):
        svm = svms[s % len(svms)]
        members = [h for h, ig in zip(sorted(hosts), per_host)
                   if ig["svm"]["name"] == svm and hosts[h][0].startswith("iqn")][s // len(svms) * 4:][:4]
        shared.append(ds.add_igroup("ig_shared_%d" % s, svm=svm, protocol="iscsi",
                                    initiators=[i for h in members for i in hosts[h]]))
    serials = set()
    next_id = {}
    for n in range(n_luns):
        while True:
            serial = "".join(rnd.choice(SERIAL_CHARS) for position in range(12))
            if serial not in serials:
                serials.add(serial)
                break
        ig = per_host[n % len(per_host)] if n % 50 else shared[n % len(shared)] if shared else per_host[0]
        svm = ig["svm"]["name"]
        lun = ds.add_lun("/vol/vol%03d/lun%05d" % (n % 200, n), serial, svm=svm, size_bytes=(1 + n % 8) << 30)
        if n % 97 == 0:
            continue            # some LUNs are not mapped at all
        lun_id = next_id.get(ig["uuid"], 0)
        next_id[ig["uuid"]] = lun_id + 1
        ds.map(lun, ig, lun_id)
    return ds, hosts
