"""A small HTTPS server answering the subset of ONTAP's REST API that sanfleet.remediation reads.

Behaviour copied from ONTAP (field names and types from its published REST schema, as mirrored by the
``netapp-ontap`` PyPI package):

* collections answer ``{"records": [...], "num_records": n, "_links": {"self": ..., "next": ...}}``;
* without ``fields`` a collection returns key fields only; ``fields=a,b.c`` selects; ``*`` means every field
  that is not expensive; ``**`` every field; expensive fields (``lun_maps``, ``status.mapped`` on LUNs,
  ``lun_maps`` on igroups) are returned only when named;
* ``max_records`` (default 10,000) pages; ``_links.next.href`` repeats the query with ``start.*`` cursor keys;
  ``page_cap`` (simulator setting) ends pages early the way ONTAP's ``return_timeout`` does;
* query parameters that name a field filter on it (``a|b`` alternatives, ``!x`` negation, ``*`` wildcards,
  case-insensitive); any other parameter is ``400 Unexpected argument "X".`` (code 262179);
* HTTP basic auth or a client certificate (CN = user); bad credentials give 401 with ONTAP's error body.
"""

import base64
import fnmatch
import json
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

DEFAULT_MAX_RECORDS = 10000
CONTROL_PARAMS = {"fields", "max_records", "return_records", "return_timeout", "order_by"}

L = None  # leaf marker in schema trees
LINKS = {"self": {"href": L}}
REF_SVM = {"name": L, "uuid": L, "_links": LINKS}

SCHEMAS = {
    "cluster": {"name": L, "uuid": L, "location": L, "contact": L,
                "version": {"full": L, "generation": L, "major": L, "minor": L}, "_links": LINKS},
    "svm/svms": {"uuid": L, "name": L, "state": L, "subtype": L, "_links": LINKS},
    "storage/luns": {
        "uuid": L, "name": L, "svm": REF_SVM, "serial_number": L, "os_type": L, "enabled": L, "comment": L,
        "class": L,
        "status": {"state": L, "container_state": L, "read_only": L, "mapped": L},
        "space": {"size": L, "used": L},
        "location": {"logical_unit": L, "volume": {"name": L, "uuid": L}},
        "lun_maps": [{"igroup": {"uuid": L, "name": L, "_links": LINKS}, "logical_unit_number": L,
                      "_links": LINKS}],
        "_links": LINKS},
    "protocols/san/igroups": {
        "uuid": L, "name": L, "svm": REF_SVM, "protocol": L, "os_type": L, "comment": L, "delete_on_unmap": L,
        "supports_igroups": L,
        "initiators": [{"name": L, "comment": L}],
        "lun_maps": [{"lun": {"uuid": L, "name": L, "_links": LINKS}, "logical_unit_number": L}],
        "_links": LINKS},
    "protocols/san/lun-maps": {
        "svm": REF_SVM,
        "lun": {"uuid": L, "name": L, "_links": LINKS},
        "igroup": {"uuid": L, "name": L, "initiators": [L], "os_type": L, "protocol": L, "_links": LINKS},
        "logical_unit_number": L,
        "_links": LINKS},
    "protocols/san/iscsi/services": {
        "svm": REF_SVM, "enabled": L, "target": {"name": L, "alias": L}, "_links": LINKS},
    "network/ip/interfaces": {
        "uuid": L, "name": L, "svm": REF_SVM, "ip": {"address": L, "family": L, "netmask": L}, "enabled": L,
        "state": L, "scope": L, "services": [L], "_links": LINKS},
    "network/fc/interfaces": {
        "uuid": L, "name": L, "svm": REF_SVM, "wwpn": L, "wwnn": L, "data_protocol": L, "enabled": L, "state": L,
        "port_address": L, "_links": LINKS},
    "protocols/nvme/services": {"svm": REF_SVM, "enabled": L, "_links": LINKS},
    "protocols/nvme/subsystems": {
        "uuid": L, "name": L, "svm": REF_SVM, "os_type": L, "comment": L, "target_nqn": L, "serial_number": L,
        "delete_on_unmap": L,
        "hosts": [{"nqn": L, "_links": LINKS}],
        "subsystem_maps": [{"namespace": {"uuid": L, "name": L}, "nsid": L, "anagrpid": L}],
        "_links": LINKS},
    "storage/namespaces": {
        "uuid": L, "name": L, "svm": REF_SVM, "os_type": L, "enabled": L, "comment": L,
        "status": {"state": L, "container_state": L, "read_only": L, "mapped": L},
        "space": {"size": L, "used": L, "block_size": L},
        "location": {"namespace": L, "volume": {"name": L, "uuid": L}},
        "subsystem_map": {"nsid": L, "anagrpid": L, "subsystem": {"uuid": L, "name": L}, "_links": LINKS},
        "_links": LINKS},
    "protocols/nvme/subsystem-maps": {
        "svm": REF_SVM, "subsystem": {"uuid": L, "name": L, "_links": LINKS},
        "namespace": {"uuid": L, "name": L, "_links": LINKS}, "nsid": L, "anagrpid": L, "_links": LINKS},
}
DEFAULT_FIELDS = {
    "cluster": ["name", "uuid", "version", "_links"],
    "svm/svms": ["uuid", "name", "_links"],
    "storage/luns": ["uuid", "name", "_links"],
    "protocols/san/igroups": ["uuid", "name", "svm", "_links"],
    "protocols/san/lun-maps": ["svm", "lun.uuid", "lun.name", "igroup.uuid", "igroup.name", "_links"],
    "protocols/san/iscsi/services": ["svm", "_links"],
    "network/ip/interfaces": ["uuid", "name", "_links"],
    "network/fc/interfaces": ["uuid", "name", "_links"],
    "protocols/nvme/services": ["svm", "_links"],
    "protocols/nvme/subsystems": ["uuid", "name", "svm", "_links"],
    "storage/namespaces": ["uuid", "name", "_links"],
    "protocols/nvme/subsystem-maps": ["svm", "subsystem.uuid", "subsystem.name", "namespace.uuid", "namespace.name",
                                      "_links"],
}
EXPENSIVE = {     # the netapp-ontap resources' "Expensive properties"
    "storage/luns": ["lun_maps", "status.mapped"],
    "protocols/san/igroups": ["lun_maps"],
    "storage/namespaces": ["subsystem_map", "status.mapped"],
    "protocols/nvme/subsystems": ["subsystem_maps"],
    "protocols/nvme/subsystem-maps": ["anagrpid"],
}
CURSOR = {
    "protocols/san/lun-maps": ["lun.uuid", "igroup.uuid"],
    "protocols/san/iscsi/services": ["svm.uuid"],
    "protocols/nvme/services": ["svm.uuid"],
    "protocols/nvme/subsystem-maps": ["subsystem.uuid", "namespace.uuid"],
}


def _copy(rec, api, key="uuid"):
    out = json.loads(json.dumps(rec))
    out["_links"] = {"self": {"href": "/api/%s/%s" % (api, _values(rec, key)[0])}}
    return out


def _nvme_subsystems(ds):
    rows = []
    for sub in ds.nvme_subsystems:
        rec = _copy(sub, "protocols/nvme/subsystems")
        rec["subsystem_maps"] = [{"namespace": {"uuid": m["namespace_uuid"], "name": m["namespace_name"]},
                                  "nsid": m["nsid"], "anagrpid": m["anagrpid"]}
                                 for m in ds.nvme_maps if m["subsystem_uuid"] == sub["uuid"]]
        rows.append(rec)
    return rows


def _nvme_namespaces(ds):
    subsystems = {s["uuid"]: s for s in ds.nvme_subsystems}
    rows = []
    for ns in ds.namespaces:
        rec = _copy(ns, "storage/namespaces")
        maps = [m for m in ds.nvme_maps if m["namespace_uuid"] == ns["uuid"]]
        rec["status"]["mapped"] = bool(maps)
        sub = subsystems.get(maps[0]["subsystem_uuid"]) if maps else None
        if sub:      # ONTAP maps a namespace to one subsystem at most
            rec["subsystem_map"] = {"nsid": maps[0]["nsid"], "anagrpid": maps[0]["anagrpid"],
                                    "subsystem": {"uuid": sub["uuid"], "name": sub["name"]}}
        rows.append(rec)
    return rows


def _nvme_maps(ds):
    subsystems = {s["uuid"]: s for s in ds.nvme_subsystems}
    rows = []
    for m in ds.nvme_maps:
        sub = subsystems.get(m["subsystem_uuid"]) or {"name": m.get("subsystem_name"), "svm": m["svm"]}
        rows.append({"svm": dict(sub["svm"]), "subsystem": {"uuid": m["subsystem_uuid"], "name": sub["name"]},
                     "namespace": {"uuid": m["namespace_uuid"], "name": m["namespace_name"]}, "nsid": m["nsid"],
                     "anagrpid": m["anagrpid"],
                     "_links": {"self": {"href": "/api/protocols/nvme/subsystem-maps/%s/%s"
                                         % (m["subsystem_uuid"], m["namespace_uuid"])}}})
    return rows


NVME_ROWS = {
    "protocols/nvme/services": lambda ds: [_copy(s, "protocols/nvme/services", "svm.uuid") for s in ds.nvme_services],
    "protocols/nvme/subsystems": _nvme_subsystems,
    "storage/namespaces": _nvme_namespaces,
    "protocols/nvme/subsystem-maps": _nvme_maps,
}


class ApiError(Exception):
    def __init__(self, status, message, code, target=None):
        super().__init__(message)
        self.status, self.message, self.code, self.target = status, message, code, target

    def body(self):
        err = {"message": self.message, "code": str(self.code)}
        if self.target:
            err["target"] = self.target
        return {"error": err}


def _valid_path(schema, path):
    node = schema
    for seg in path.split("."):
        if isinstance(node, list):
            node = node[0]
        if not isinstance(node, dict) or seg not in node:
            return False
        node = node[seg]
    return True


def _values(obj, path):
    vals = [obj]
    for seg in path.split("."):
        nxt = []
        for v in vals:
            if isinstance(v, list):
                v = [x.get(seg) if isinstance(x, dict) else None for x in v]
                nxt.extend(x for x in v if x is not None)
            elif isinstance(v, dict) and seg in v:
                nxt.append(v[seg])
        vals = nxt
    flat = []
    for v in vals:
        flat.extend(v if isinstance(v, list) else [v])
    return flat


def _matches(values, expr):
    def one(pattern, value):
        if isinstance(value, bool):
            value = "true" if value else "false"
        return fnmatch.fnmatchcase(str(value).lower(), pattern.lower())

    for alt in expr.split("|"):
        neg = alt.startswith("!")
        pattern = alt[1:] if neg else alt
        hit = any(one(pattern, v) for v in values)
        if hit != neg:
            return True
    return False


def _tree(paths):
    tree = {}
    for path in paths:
        node = tree
        segs = path.split(".")
        for i, seg in enumerate(segs):
            if node.get(seg) is True:
                break
            if i == len(segs) - 1:
                node[seg] = True
            else:
                node = node.setdefault(seg, {})
    return tree


def _project(value, tree):
    if tree is True:
        return value
    if isinstance(value, list):
        return [_project(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: _project(value[k], sub) for k, sub in tree.items() if k in value}
    return value


def _drop(obj, path):
    head, sep, rest = path.partition(".")
    if isinstance(obj, list):
        for item in obj:
            _drop(item, path)
    elif isinstance(obj, dict) and head in obj:
        if rest:
            _drop(obj[head], rest)
        else:
            del obj[head]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ontap-sim"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        sim = self.server.sim
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        entry = {"method": "GET", "path": parts.path, "query": dict(query), "user": None, "status": None,
                 "records": None}
        raw = None
        if self._interrupted(sim, parts.path, entry):
            return
        try:
            entry["user"] = self._authenticate(sim)
            raw = sim.raw_answers.get(parts.path[len("/api/"):].strip("/"))
            if raw is not None:
                status, body = raw[0], {}
            else:
                status, body = sim.handle(parts.path, query, entry["user"])
            entry["records"] = body.get("num_records")
        except ApiError as exc:
            status, body = exc.status, exc.body()
        entry["status"] = status
        with sim.lock:
            sim.request_log.append(entry)
        data = raw[1].encode() if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _interrupted(self, sim, path, entry):
        """True when this request gets the next of the path's ``interruptions`` instead of an answer: a status
        (with the error object and ``retry_after``) or "reset" (the connection closed with a TCP reset, no answer)."""
        cut = sim.next_interruption(path)
        if cut is None:
            return False
        entry["status"] = cut
        with sim.lock:
            sim.request_log.append(entry)
        if cut == "reset":
            self.close_connection = True
            # SO_LINGER of 0 seconds: the close resets the connection instead of ending it
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return True
        data = json.dumps(ApiError(cut, INTERRUPTION_MESSAGES.get(cut, "error"), "0").body()).encode()
        self.send_response(cut)
        if sim.retry_after is not None:
            self.send_header("Retry-After", str(sim.retry_after))
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True

    def _method_not_allowed(self):
        data = json.dumps(ApiError(405, "The method is not allowed.", 4).body()).encode()
        self.send_response(405)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_PATCH = do_DELETE = _method_not_allowed

    def _authenticate(self, sim):
        unauth = ApiError(401, "not authorized for that command", 6)
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if peer:
            for rdn in peer.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName" and value in sim.users:
                        return value
            raise unauth
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise unauth
        try:
            user, sep, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise unauth
        if sim.users.get(user) != password:
            raise unauth
        return user


INTERRUPTION_MESSAGES = {503: "Service Unavailable", 429: "Too Many Requests"}


class HttpsSimulator:
    """A simulator served over HTTPS on 127.0.0.1 (a free port) in a thread while the context lasts: a subclass sets
    ``handler`` (its request handler class, which finds the simulator as ``self.server.sim``), ``cert_path`` and
    ``key_path``; with ``client_ca``, client certificates it signed are asked for (optional)."""

    handler = None
    client_ca = None

    def __enter__(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        if self.client_ca:
            ctx.load_verify_locations(self.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self._server.daemon_threads = True
        self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self._server.sim = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self):
        return self._server.server_address[1]


class OntapSimulator(HttpsSimulator):
    """Context manager running the simulator on 127.0.0.1 with a fresh CA.

    >>> with OntapSimulator(dataset, tmpdir) as sim:
    ...     sim.base_url, sim.ca_path, sim.port, sim.request_count, sim.request_log

    Settings (attributes, change them any time): ``users`` {user: password}; ``svm_scoped`` {user: svm}
    (such users get 403 on /api/cluster and see one SVM); ``page_cap`` (records per response at most, like a
    ``return_timeout`` stop); ``errors`` {api path: (status, message, code)} answered instead of data;
    ``raw_answers`` {api path: (status, body text)} answered verbatim (an empty 200, ``{}``, a proxy's HTML page);
    ``short_pages`` {api path: n} drops the last n records of each page of that collection while ``num_records``
    still counts them (a cut answer); ``interruptions`` {api path: [503, 429, "reset", ...]}: the next requests to
    that path get these in turn (a status, with Retry-After ``retry_after`` when it is set, or a connection reset),
    then answers again.

    Duplicate target identities (a cloned or renamed target, identity-preserving DR) need no setting: give two
    SVMs (or two simulators) the same ``targets`` iSCSI name or FC WWPN in the dataset.
    """

    def __init__(self, dataset, workdir, users=None):
        from .certs import CA
        self.dataset = dataset
        self.workdir = workdir
        self.users = dict(users or {"admin": "netapp1!"})
        self.svm_scoped = {}
        self.page_cap = None
        self.errors = {}
        self.raw_answers = {}
        self.short_pages = {}
        self.interruptions = {}
        self.retry_after = None
        self.request_log = []
        self.lock = threading.Lock()
        self.ca = CA(workdir)
        self.ca_path = self.ca.path
        self.cert_path, self.key_path = self.ca.issue("127.0.0.1")
        self._server = None
        self._thread = None
        self.handler = _Handler
        # client certificates are optional: a user may log in with one (client_cert)
        self.client_ca = self.ca_path

    @property
    def hostname(self):
        return "127.0.0.1"

    @property
    def base_url(self):
        return "https://127.0.0.1:%d/api/" % self.port

    @property
    def request_count(self):
        return len(self.request_log)

    def next_interruption(self, path):
        """The next interruption queued for this request's path (``interruptions``), or None."""
        api = path[len("/api/"):].strip("/") if path.startswith("/api/") else None
        with self.lock:
            queue = self.interruptions.get(api)
            return queue.pop(0) if queue else None

    def requests_to(self, api):
        return [e for e in self.request_log if e["path"] == "/api/" + api]

    def reset_log(self):
        with self.lock:
            self.request_log.clear()

    def client_cert(self, user):
        """(cert, key) paths of a client certificate whose CN is ``user``."""
        return self.ca.issue(user, server=False)

    def options(self, **extra):
        """Lookup options for this simulator (admin user, CA of this run)."""
        user = next(iter(self.users))
        opts = {"hostname": "127.0.0.1", "http_port": self.port, "username": user, "password": self.users[user],
                "ca_path": self.ca_path, "validate_certs": True}
        opts.update(extra)
        return opts

    # -- the API
    def handle(self, path, query, user):
        if not path.startswith("/api/"):
            raise ApiError(404, "API not found", 3)
        api = path[len("/api/"):].strip("/")
        if api in self.errors:
            status, message, code = self.errors[api]
            raise ApiError(status, message, code)
        if api not in SCHEMAS:
            raise ApiError(404, "API not found", 3)
        scope = self.svm_scoped.get(user)
        if api == "cluster":
            if scope:
                raise ApiError(403, "not authorized for that command", 6)
            return 200, self._select(api, self._cluster(), dict(query))
        return 200, self._collection(api, query, scope)

    def _cluster(self):
        rec = dict(self.dataset.cluster)
        rec["_links"] = {"self": {"href": "/api/cluster"}}
        return rec

    def _select(self, api, record, params):
        fields = params.get("fields")
        schema = SCHEMAS[api]
        if fields is None:
            paths = DEFAULT_FIELDS[api]
            explicit = set()
        else:
            paths, explicit = [], set()
            for field in [f.strip() for f in fields.split(",") if f.strip()]:
                if field == "*":
                    paths.extend(schema)
                elif field == "**":
                    return record
                elif _valid_path(schema, field):
                    paths.append(field)
                    explicit.add(field)
                else:
                    raise ApiError(400, 'The value "%s" is invalid for field "fields"' % field, 262197, "fields")
            paths.append("_links")
        out = _project(record, _tree(paths))
        for exp in EXPENSIVE.get(api, []):
            if not any(p == exp or p.startswith(exp + ".") for p in explicit):
                _drop(out, exp)
        return out

    def _rows(self, api):
        ds = self.dataset
        if api == "svm/svms":
            return [dict(s, _links={"self": {"href": "/api/svm/svms/" + s["uuid"]}}) for s in ds.svms]
        if api == "protocols/san/iscsi/services":
            return [dict(json.loads(json.dumps(s)), _links={"self": {"href": "/api/protocols/san/iscsi/services/"
                                                                     + s["svm"]["uuid"]}})
                    for s in ds.iscsi_services]
        if api in ("network/ip/interfaces", "network/fc/interfaces"):
            rows = ds.ip_interfaces if api == "network/ip/interfaces" else ds.fc_interfaces
            return [dict(json.loads(json.dumps(r)), _links={"self": {"href": "/api/%s/%s" % (api, r["uuid"])}})
                    for r in rows]
        if api in NVME_ROWS:
            return NVME_ROWS[api](ds)
        igroups = {g["uuid"]: g for g in ds.igroups}
        luns = {l["uuid"]: l for l in ds.luns}
        if api == "storage/luns":
            rows = []
            maps = {}
            for m in ds.maps:
                maps.setdefault(m["lun_uuid"], []).append(m)
            for lun in ds.luns:
                rec = json.loads(json.dumps(lun))
                rec["status"]["mapped"] = lun["uuid"] in maps
                rec["lun_maps"] = [{"igroup": {"uuid": m["igroup_uuid"], "name": igroups[m["igroup_uuid"]]["name"],
                                               "_links": {"self": {"href": "/api/protocols/san/igroups/"
                                                                   + m["igroup_uuid"]}}},
                                    "logical_unit_number": m["logical_unit_number"],
                                    "_links": {"self": {"href": "/api/protocols/san/lun-maps/%s/%s"
                                                        % (lun["uuid"], m["igroup_uuid"])}}}
                                   for m in maps.get(lun["uuid"], [])]
                rec["_links"] = {"self": {"href": "/api/storage/luns/" + lun["uuid"]}}
                rows.append(rec)
            return rows
        if api == "protocols/san/igroups":
            rows = []
            for ig in ds.igroups:
                rec = json.loads(json.dumps(ig))
                rec["lun_maps"] = [{"lun": {"uuid": m["lun_uuid"], "name": luns[m["lun_uuid"]]["name"]},
                                    "logical_unit_number": m["logical_unit_number"]}
                                   for m in ds.maps if m["igroup_uuid"] == ig["uuid"]]
                rec["_links"] = {"self": {"href": "/api/protocols/san/igroups/" + ig["uuid"]}}
                rows.append(rec)
            return rows
        rows = []
        for m in ds.maps:
            ig, lun = igroups[m["igroup_uuid"]], luns[m["lun_uuid"]]
            rows.append({"svm": dict(lun["svm"]), "lun": {"uuid": lun["uuid"], "name": lun["name"]},
                         "igroup": {"uuid": ig["uuid"], "name": ig["name"], "os_type": ig["os_type"],
                                    "protocol": ig["protocol"],
                                    "initiators": [i["name"] for i in ig["initiators"]]},
                         "logical_unit_number": m["logical_unit_number"],
                         "_links": {"self": {"href": "/api/protocols/san/lun-maps/%s/%s"
                                             % (lun["uuid"], ig["uuid"])}}})
        return rows

    def _collection(self, api, query, scope):
        schema = SCHEMAS[api]
        params, filters, start = {}, [], {}
        for key, value in query:
            if key in CONTROL_PARAMS:
                params[key] = value
            elif key.startswith("start."):
                start[key[len("start."):]] = value
            elif _valid_path(schema, key):
                filters.append((key, value))
            else:
                raise ApiError(400, 'Unexpected argument "%s".' % key, 262179, key)
        try:
            max_records = int(params.get("max_records", DEFAULT_MAX_RECORDS))
            if max_records < 0:
                raise ValueError
        except ValueError:
            raise ApiError(400, 'Invalid value "%s" for "max_records".' % params.get("max_records"), 262186,
                           "max_records")
        cursor_keys = CURSOR.get(api, ["uuid"])
        rows = self._rows(api)
        if scope:
            rows = [r for r in rows if (r.get("svm") or {}).get("name") == scope or api == "svm/svms"
                    and r["name"] == scope]
        for key, expr in filters:
            rows = [r for r in rows if _matches(_values(r, key), expr)]

        def ckey(row):
            return tuple(str(_values(row, k)[0]) for k in cursor_keys)

        rows.sort(key=ckey)
        if start:
            begin = tuple(start.get(k, "") for k in cursor_keys)
            rows = [r for r in rows if ckey(r) >= begin]
        limit = max_records if not self.page_cap else min(max_records, self.page_cap)
        page, rest = rows[:limit], rows[limit:]
        self_q = urlencode(query, safe=",*|!.")
        body = {"records": [self._select(api, r, params) for r in page], "num_records": len(page),
                "_links": {"self": {"href": "/api/%s%s" % (api, "?" + self_q if self_q else "")}}}
        if params.get("return_records", "true").lower() == "false":
            body["records"] = []
        if self.short_pages.get(api):
            body["records"] = body["records"][:max(0, len(body["records"]) - self.short_pages[api])]
        if rest:
            nxt = [(k, v) for k, v in query if not k.startswith("start.")]
            nxt += [("start." + k, v) for k, v in zip(cursor_keys, ckey(rest[0]))]
            body["_links"]["next"] = {"href": "/api/%s?%s" % (api, urlencode(nxt, safe=",*|!."))}
        return body
