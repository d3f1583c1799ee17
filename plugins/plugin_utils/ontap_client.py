# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST client of one ONTAP cluster: netapp.ontap's ``OntapRestAPI`` through a small module stand-in whose
params are built from ``na_ontap_host_argument_spec()`` defaults (so keys added by later netapp.ontap releases keep
their defaults), GETs that page through ``_links.next`` with a page guard, and ONTAP's errors as messages without
the password. No credential is ever put in a result or an error message."""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import time
import warnings
from urllib.parse import urlsplit

from ansible.errors import AnsibleLookupError
from ansible.utils.display import Display

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import ca_bundle

display = Display()

# netapp.ontap's OntapRestAPI logs every HTTP error with LOG.error on this logger and configures no handler (unless
# its trace_apis feature writes a file): Python's last-resort handler then printed each error on the controller's
# stderr, beside Ansible's display. The errors reach the user through our OntapError messages (redacted, named); a
# handler of its own keeps the last resort out, and a logging configuration of the user's still gets the records.
logging.getLogger("ansible_collections.netapp.ontap.plugins.module_utils.netapp").addHandler(logging.NullHandler())

DEFAULT_TIMEOUT = 60
DEFAULT_MAX_PAGES = 1000

# The answers that say "try again later" (RFC 9110 15.6.4: 503 Service Unavailable; RFC 6585 4: 429 Too Many
# Requests; both may carry Retry-After): ONTAP's web server gives 503 while it is busy (a takeover, a saturated REST
# server) and 429 when it limits a client. One of them, or a connection reset while a request is on the wire, must
# not blind a whole run: the request is tried again, its waits doubling from RETRY_BACKOFF seconds (or as long as
# Retry-After asks), as long as the next try starts within the request's `timeout` of its first try. Nothing else
# is tried again: a refused connection, an untrusted certificate, a 401 are named at once.
RETRY_STATUSES = (429, 503)
RETRY_BACKOFF = 0.5
RETRY_MAX = 8

# netapp.ontap 23.x (its module_utils' netapp module) imports to_native from ansible.module_utils._text, which
# ansible-core 2.19+ deprecates (removal in 2.24): two lines on the controller's stderr in every run that asks a
# cluster, about code that is not ours and that a user cannot change. Dropped while netapp.ontap is imported, and only
# they: every other deprecation is shown. Upstream: ansible-collections/netapp.ontap issue 352 and pull request 338
# (open); the tooling test of the supported versions fails before a pinned ansible-core removes the names
# (docs/ontap.md "Retries").
_THEIR_DEPRECATION = re.compile(r"^Importing '\w+' from 'ansible\.module_utils\._text' is deprecated")

# The lookup options that are connection options of netapp.ontap, copied into the OntapRestAPI params.
CONNECTION_KEYS = ("hostname", "username", "password", "cert_filepath", "key_filepath", "validate_certs", "http_port")


class OntapError(AnsibleLookupError):
    """An ONTAP request failed; the message names the endpoint and ONTAP's message and code. ``ontap_code`` is
    ONTAP's error code (text) when ONTAP answered one, else None: a caller may act on a documented code only."""

    ontap_code = None


class _ModuleShim:
    """The few attributes of AnsibleModule that OntapRestAPI touches (netapp.ontap 23.x)."""

    check_mode = False

    def __init__(self, params, name):
        self.params = params
        self._name = name

    def fail_json(self, msg=None, **kwargs):
        raise AnsibleLookupError(str(msg))

    def warn(self, msg):
        display.warning(str(msg))


def _redact(text, secret):
    text = str(text)
    if secret and len(secret) >= 4:
        text = text.replace(secret, "********")
    return text


def format_ontap_error(verb, api, hostname, status, error):
    """'ONTAP GET storage/luns on cl1 failed (HTTP 401): not authorized for that command (code 6)'."""
    where = "ONTAP %s %s on %s failed" % (verb, api.split("?", 1)[0], hostname)
    if status:
        where += " (HTTP %s)" % status
    if isinstance(error, dict):
        msg = str(error.get("message") or "no message")
        if error.get("code") not in (None, ""):
            msg += " (code %s)" % error.get("code")
        if error.get("target"):
            msg += " (target %s)" % error.get("target")
    else:
        msg = str(error)
    return "%s: %s" % (where, msg)


@contextlib.contextmanager
def _without_their_text_deprecation():
    """Display.deprecated drops the deprecation of netapp.ontap's import of ansible.module_utils._text meanwhile."""
    shown = display.deprecated

    def deprecated(msg, *args, **kwargs):
        if _THEIR_DEPRECATION.match(str(msg)):
            return None
        # the caller's own call, passed on as it came (its collection_name or deprecator with it)
        return shown(msg, *args, **kwargs)  # pylint: disable=ansible-deprecated-no-collection-name

    own = "deprecated" in vars(display)   # an instance's own (a test's stand-in) is put back, not removed
    display.deprecated = deprecated
    try:
        yield
    finally:
        if own:
            display.deprecated = shown
        else:
            del display.deprecated


def _netapp(plugin_name):
    """netapp.ontap's (OntapRestAPI, na_ontap_host_argument_spec), imported when a cluster is asked, not with this
    module: the report and compliance filters import this package in every Ansible worker that renders them, and
    netapp.ontap's module_utils costs each of those workers a deprecation warning's stack walk and requests' import
    (~0.1-0.3 s per worker, issue 31's controller profile)."""
    try:
        with _without_their_text_deprecation():
            from ansible_collections.netapp.ontap.plugins.module_utils.netapp import (
                OntapRestAPI,
                na_ontap_host_argument_spec,
            )
    except ImportError as exc:
        raise AnsibleLookupError("%s needs the netapp.ontap collection (>=23,<24) on the controller: %s"
                                 % (plugin_name, exc))
    except Exception as exc:  # pylint: disable=broad-except
        # a broken install is a read that failed: one problem per cluster, which blocks removals, not a traceback
        raise AnsibleLookupError("%s could not import the netapp.ontap collection on the controller: %s: %s"
                                 % (plugin_name, type(exc).__name__, exc))
    return OntapRestAPI, na_ontap_host_argument_spec


def _retry_class():
    """urllib3's Retry, bounded by a deadline and counting its retries (imported with the client, as requests is)."""
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry

    class DeadlineRetry(Retry):
        """Retry whose next try must start before ``deadline`` (time.monotonic()), with the reason of every retry it
        grants appended to ``reasons`` (one list shared by the copies urllib3 makes at each try)."""

        deadline = None
        reasons = None

        def new(self, **kw):
            out = super().new(**kw)
            out.deadline, out.reasons = self.deadline, self.reasons
            return out

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            out = super().increment(method, url, response, error, _pool, _stacktrace)
            wait = max(out.get_backoff_time(), (out.get_retry_after(response) or 0) if response is not None else 0)
            if self.deadline is not None and time.monotonic() + wait > self.deadline:
                raise MaxRetryError(_pool, url, error)
            if self.reasons is not None:
                self.reasons.append(_retry_reason(response, error))
            return out

    return DeadlineRetry


def _retry_reason(response, error):
    if response is not None:
        return "HTTP %s" % response.status
    text = str(error).lower()
    return "connection reset" if "reset" in text or "aborted" in text else "connection error"


class OntapClient:
    """One connection to one cluster: netapp.ontap's OntapRestAPI builds it (the URL, the headers, TLS, the
    credentials) and a requests session of its own sends the GETs, with the retries of RETRY_STATUSES and of
    connection resets on its adapter (urllib3's Retry), each request's retries bounded by its ``timeout``."""

    def __init__(self, options, plugin_name, timeout=DEFAULT_TIMEOUT):
        rest_api, host_argument_spec = _netapp(plugin_name)
        self.hostname = options["hostname"]
        self._secret = options.get("password")
        params = {key: spec.get("default") for key, spec in host_argument_spec().items()}
        params.update({key: options.get(key) for key in CONNECTION_KEYS})
        params["use_rest"] = "always"
        if params["validate_certs"] is None:
            params["validate_certs"] = True
        self.validate_certs = bool(params["validate_certs"])
        if not params.get("cert_filepath") and not (params.get("username") and params.get("password") is not None):
            raise AnsibleLookupError("%s: give username and password, or cert_filepath (and key_filepath)" % plugin_name)
        try:
            self.rest = rest_api(_ModuleShim(params, plugin_name), timeout=timeout)
        except AnsibleLookupError as exc:
            raise AnsibleLookupError(_redact(exc, self._secret))
        ca_path = ca_bundle(options.get("ca_path"))
        if self.validate_certs and ca_path:
            # requests takes a CA bundle path where it takes True; OntapRestAPI passes `verify` straight through.
            self.rest.verify = ca_path
        self.requests_made = 0
        # why each retry was made (HTTP 503, connection reset, ...), for the truth's count per cluster
        self.retries = []
        self._session = None

    def _send(self, api, params):
        """(status, body, error) of one GET, as netapp.ontap's send_request returns them: ONTAP's error object, or
        the text of an HTTP or connection error, with its retries (RETRY_STATUSES, resets) started within `timeout` of the first try, each try bounded by
        `timeout`: the request ends within twice it."""
        import requests
        from requests.adapters import HTTPAdapter

        rest = self.rest
        if self._session is None:
            self._session = requests.Session()
            self._session.mount("https://", HTTPAdapter(max_retries=_retry_class()(
                total=None, connect=0, read=RETRY_MAX, status=RETRY_MAX, other=0, redirect=0,
                status_forcelist=RETRY_STATUSES, allowed_methods=frozenset(["GET"]), backoff_factor=RETRY_BACKOFF,
                respect_retry_after_header=True, raise_on_status=False)))
        retry = self._session.get_adapter(rest.url).max_retries
        retry.deadline, retry.reasons = time.monotonic() + rest.timeout, self.retries
        headers = rest.build_headers()
        kwargs = {}
        if rest.cert_filepath:
            kwargs["cert"] = (rest.cert_filepath, rest.key_filepath) if rest.key_filepath else rest.cert_filepath
        else:
            # as netapp.ontap sends it: the password's UTF-8 bytes (requests' own basic auth is Latin-1)
            token = base64.b64encode(("%s:%s" % (rest.username, rest.password)).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic %s" % token
        try:
            response = self._session.get(rest.url + api, params=params, headers=headers, verify=rest.verify,
                                         timeout=rest.timeout, **kwargs)
        except requests.exceptions.RequestException as exc:
            return None, None, str(exc)
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if error is None and response.status_code >= 400:
            error = "%s %s for url: %s" % (response.status_code, response.reason, response.url)
        elif error is None and body is None and response.content.strip():
            # netapp.ontap's strict_json_check: an answer that is not JSON (a proxy's page) is an error, not data
            error = "Expecting json, got: %r" % response.content[:200]
        return response.status_code, (None if error is not None else body), error

    def redact(self, text):
        """text without this connection's password."""
        return _redact(text, self._secret)

    def _get(self, api, params):
        with warnings.catch_warnings():
            if not self.validate_certs:
                warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            status, body, error = self._send(api, params)
        self.requests_made += 1
        display.vvvv("sanfleet ONTAP GET %s %s -> %s" % (api, params or "", status))
        return status, body, error

    def get_all(self, api, query, max_pages=DEFAULT_MAX_PAGES):
        """Every record of a collection GET, following _links.next until it is absent."""
        records, params, seen = [], dict(query or {}), set()
        path = api
        for page in range(max_pages):
            status, body, error = self._get(path, params)
            if error:
                failed = OntapError(_redact(format_ontap_error("GET", api, self.hostname, status, error), self._secret))
                if isinstance(error, dict) and error.get("code") not in (None, ""):
                    failed.ontap_code = str(error["code"])
                raise failed
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                # an empty 200, {} or a proxy's page is not an empty collection: "no records" would make every
                # mapped LUN look unmapped
                raise OntapError("ONTAP GET %s on %s: the answer (HTTP %s) has no records list; an answer that "
                                 "is not ONTAP's collection shape is an error, not an empty collection"
                                 % (api, self.hostname, status))
            count = body.get("num_records")
            if count is not None and (isinstance(count, bool) or count != len(body["records"])):
                # ONTAP counts the records of the page it sends: fewer means a cut answer, whose missing records
                # would make mapped LUNs look unmapped
                raise OntapError("ONTAP GET %s on %s: page %d says num_records %r but holds %d records; a "
                                 "truncated answer is an error, not a complete collection"
                                 % (api, self.hostname, page + 1, count, len(body["records"])))
            records.extend(body["records"])
            href = ((body.get("_links") or {}).get("next") or {}).get("href")
            if not href:
                return records
            path, params = self._next(api, href)
            if path in seen:
                raise OntapError("ONTAP GET %s on %s: _links.next repeats %s" % (api, self.hostname, href))
            seen.add(path)
        raise OntapError("ONTAP GET %s on %s: more than %d pages; raise max_pages or set page_size"
                         % (api, self.hostname, max_pages))

    def _next(self, api, href):
        parts = urlsplit(href)
        if not parts.path.startswith("/api/"):
            raise OntapError("ONTAP GET %s on %s: unexpected _links.next %r" % (api, self.hostname, href))
        path = parts.path[len("/api/"):]
        return (path + "?" + parts.query if parts.query else path), None

    def get_one(self, api, query):
        status, body, error = self._get(api, query)
        return status, body or {}, error
