# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST 2.x client of one Pure Storage FlashArray: the API version chosen from ``GET /api/api_version``, a
session from ``POST /api/2.N/login`` (API token in, session token out), GETs that page through
``continuation_token`` with a page guard, bounded retries of the answers that say "later", and Pure's errors as
messages without either token. No credential is ever put in a result or an error message.

Facts followed (tests/unit/plugins/plugin_utils/fixtures/pure/SOURCES.md names each source): Pure's Python SDK
py-pure-client 1.96.0 (its module pypureclient._helpers, get_target_versions: ``GET /api/api_version`` answers
``{"version": [...]}``; pypureclient.api_token_manager and keywords: ``POST /api/<version>/login`` with the
header ``api-token``, the session token in the answer's header ``x-auth-token``; pypureclient._rate_limit: 429,
503 and a 500 whose body says "Server is busy" mean "try later", with Retry-After; the *GetResponse models:
``items``, ``continuation_token``, ``more_items_remaining``, errors as ``errors[].message``)."""

from __future__ import annotations

import http.client
import json
import re
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.urls import open_url
from ansible.utils.display import Display

from ansible_collections.sanfleet.remediation.plugins.plugin_utils.controller_files import ca_bundle

display = Display()

DEFAULT_TIMEOUT = 60
DEFAULT_MAX_PAGES = 1000
# items per page asked for (the `limit` query parameter); Pure pages only when `limit` is smaller than what remains
DEFAULT_PAGE_SIZE = 1000

# The REST versions this client reads with. The lowest: 2.2, the first REST 2 version whose API has GET /arrays and
# GET /ports (py-pure-client's FA_2_0 and FA_2_1 model maps have neither an Arrays nor a Port model; every field
# pure_records reads from /hosts, /volumes and /connections exists from 2.0). The highest: the newest version of
# the SDK the field test checks (test_pure_models.py, py-pure-client 1.96.0: FA_2_58); an array offering newer
# versions also offers this one (the SDK itself picks the newest version both sides know the same way).
MIN_API_VERSION = (2, 2)
MAX_API_VERSION = (2, 58)

# The answers that say "try again later": 429 (the array's rate limiter), 503, and a 500 whose errors[].message is
# "Server is busy" (Purity's overload rejection, per py-pure-client's _rate_limit.py). One of them, or a connection
# reset while a request is on the wire, must not blind a whole run: the request is tried again, its waits doubling
# from RETRY_BACKOFF seconds (or as long as Retry-After asks), while the next try starts within the request's
# `timeout` of its first try and at most RETRY_MAX times. Nothing else is tried again: a refused connection, an
# untrusted certificate, a 401 are named at once.
RETRY_STATUSES = (429, 503)
SERVER_BUSY = "Server is busy"
RETRY_BACKOFF = 0.5
RETRY_MAX = 8

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


class PureError(AnsibleLookupError):
    """A FlashArray request failed; the message names the method, endpoint, array, HTTP status and Pure's message."""


def _given(*values):
    """The first value that is not None."""
    return next(v for v in values if v is not None)


def _sleep(seconds):
    """time.sleep, a name of its own so that tests need not wait out a backoff."""
    time.sleep(seconds)


def version_text(version):
    return "%d.%d" % version


def parse_version(text):
    """(2, 58) from "2.58"; None for anything else ("1.19" gives (1, 19))."""
    match = _VERSION.match(str(text).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def choose_version(offered, hostname="the array"):
    """The highest REST 2.x version both the array (``offered``, the list of GET /api/api_version) and this client
    know, within MIN_API_VERSION..MAX_API_VERSION; PureError when there is none, saying why."""
    versions = sorted(v for v in (parse_version(t) for t in offered or []) if v)
    usable = [v for v in versions if MIN_API_VERSION <= v <= MAX_API_VERSION]
    if usable:
        return usable[-1]
    shown = ", ".join(version_text(v) for v in versions) or "none"
    if not [v for v in versions if v[0] == 2]:
        raise PureError("Pure %s offers no REST 2.x API (versions offered: %s): this client needs REST %s or newer "
                        "(Purity//FA with REST 2)" % (hostname, shown, version_text(MIN_API_VERSION)))
    raise PureError("Pure %s offers no REST version this client reads with (offered: %s; known: %s to %s)"
                    % (hostname, shown, version_text(MIN_API_VERSION), version_text(MAX_API_VERSION)))


def pure_message(body):
    """Pure's messages from an error body ``{"errors": [{"message": ..., "context": ...}]}``, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return None
    parts = []
    for err in body["errors"]:
        if isinstance(err, dict) and err.get("message"):
            text = str(err["message"])
            if err.get("context"):
                text += " (context %s)" % err["context"]
            parts.append(text)
    return "; ".join(parts) or None


def _is_busy(status, body):
    return status == 500 and isinstance(body, dict) and any(
        isinstance(e, dict) and e.get("message") == SERVER_BUSY for e in body.get("errors") or [])


def _is_reset(exc):
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (ConnectionResetError, ConnectionAbortedError, http.client.RemoteDisconnected,
                               BrokenPipeError))


def _retry_after(headers):
    try:
        value = float((headers or {}).get("Retry-After"))
    except (TypeError, ValueError):
        return 0.0
    return value if 0 <= value < 3600 else 0.0


def _json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError):
        return None


class PureClient:
    """One session with one FlashArray over HTTPS (ansible.module_utils.urls.open_url). Counts its requests and
    the reason of each retry (``requests_made``, ``retries``), as OntapClient does, for the truth."""

    def __init__(self, options, timeout=None):
        options = dict(options or {})
        self.hostname = str(options.get("hostname") or "").strip()
        if not self.hostname:
            raise PureError("Pure: give hostname (the array's management address)")
        if "://" in self.hostname:
            if not self.hostname.lower().startswith("https://"):
                # the API token would cross the network in clear text
                raise PureError("Pure %s: only HTTPS is supported" % self.hostname)
            self.hostname = self.hostname[len("https://"):].rstrip("/")
        self._api_token = options.get("api_token")
        if not self._api_token:
            raise PureError("Pure %s: give api_token (an API token of a read-only array user)" % self.hostname)
        # a header cannot carry blanks or control characters: http.client would refuse it with the token in its
        # message (a token piped into ansible-vault keeps its newline); refused here, never named
        if not isinstance(self._api_token, str) or re.search(r"[\s\x00-\x1f\x7f]", self._api_token):
            raise PureError("Pure %s: api_token holds a blank, a newline or a control character (a pasted or piped "
                            "token keeps its newline): give the token alone" % self.hostname)
        try:
            # "false" from an extra var or a survey is False, not a non-empty (true) text
            validate = options.get("validate_certs")
            self.validate_certs = True if validate is None else boolean(validate, strict=True)
            self.timeout = float(_given(timeout, options.get("timeout"), DEFAULT_TIMEOUT))
            # 0 is not "unset": a page size of 0 is refused below, not read as the default
            self.page_size = int(_given(options.get("page_size"), DEFAULT_PAGE_SIZE))
            self.max_pages = int(_given(options.get("max_pages"), DEFAULT_MAX_PAGES))
        except (TypeError, ValueError) as exc:
            raise PureError("Pure %s: validate_certs, timeout, page_size or max_pages is not valid: %s"
                            % (self.hostname, exc))
        # a blank path, or an empty file (what AWX writes for an empty CA field), is "no CA of its own" (ontap_client)
        self.ca_path = ca_bundle(options.get("ca_path"))
        if self.page_size < 1 or self.max_pages < 1 or not 0 < self.timeout < float("inf"):
            raise PureError("Pure %s: page_size and max_pages must be at least 1, timeout a positive number of "
                            "seconds" % self.hostname)
        self.api_version = None
        self._session_token = None
        self.requests_made = 0
        # why each retry was made (HTTP 503, connection reset, ...), for the truth's count per array
        self.retries = []

    # -- plumbing ---------------------------------------------------------------------------------------------------

    def redact(self, text):
        """text without this connection's API token or session token."""
        text = str(text)
        for secret in (self._api_token, self._session_token):
            if secret and len(str(secret)) >= 4:
                text = text.replace(str(secret), "********")
        return text

    def _base(self):
        host = self.hostname
        if host.count(":") > 1 and not host.startswith("["):
            host = "[%s]" % host        # a bare IPv6 address
        return "https://%s" % host

    def _error(self, method, path, status, detail):
        where = "Pure %s %s on %s failed" % (method, path, self.hostname)
        if status:
            where += " (HTTP %s)" % status
        return PureError(self.redact("%s: %s" % (where, detail)))

    def _send(self, method, path, params=None, headers=None):
        """(status, response headers, body) of one HTTPS request; HTTPError answers are answers, other failures
        raise. ``path`` starts with /api/."""
        url = self._base() + path + ("?" + urlencode(params) if params else "")
        response = open_url(url, method=method, headers=dict(headers or {}, Accept="application/json"),
                            validate_certs=self.validate_certs, ca_path=self.ca_path if self.validate_certs else None,
                            timeout=self.timeout, follow_redirects="none", use_netrc=False, data=b"" if method == "POST" else None)
        with response:
            return response.status, dict(response.headers.items()), _json(response.read())

    def request(self, method, path, params=None, headers=None):
        """(status, headers, body) of a request that succeeded (2xx), with the retries of "later" answers and
        connection resets; PureError for everything else, naming Pure's message."""
        deadline = time.monotonic() + self.timeout
        wait = RETRY_BACKOFF
        for attempt in range(RETRY_MAX + 1):
            pause = 0.0
            try:
                self.requests_made += 1
                status, resp_headers, body = self._send(method, path, params, headers)
                display.vvvv("sanfleet Pure %s %s %s -> %s" % (method, path, params or "", status))
                return status, resp_headers, body
            except HTTPError as exc:
                status, body = exc.code, _json(exc.read() if exc.fp is not None else b"")
                failed = self._error(method, path, status, pure_message(body) or exc.reason or "no message")
                if not (status in RETRY_STATUSES or _is_busy(status, body)):
                    raise failed
                reason, pause = "HTTP %s" % status, _retry_after(exc.headers)
            except (ValueError, UnicodeError) as exc:
                # a header or URL http.client refuses: its message may hold the header (redacted by _error)
                raise self._error(method, path, None, exc)
            except (URLError, OSError, http.client.HTTPException) as exc:
                failed = self._error(method, path, None, getattr(exc, "reason", None) or exc)
                if not _is_reset(exc):
                    raise failed
                reason = "connection reset"
            pause = max(pause, wait)
            if attempt == RETRY_MAX or time.monotonic() + pause > deadline:
                raise failed
            self.retries.append(reason)
            _sleep(pause)
            wait *= 2
        raise failed  # pragma: no cover (the loop returns or raises)

    # -- the session --------------------------------------------------------------------------------------------------

    def connect(self):
        """Choose the API version and log in (once)."""
        if self._session_token:
            return
        status, _headers, body = self.request("GET", "/api/api_version")
        if not isinstance(body, dict) or not isinstance(body.get("version"), list):
            raise PureError("Pure GET /api/api_version on %s: the answer (HTTP %s) has no version list; not a "
                            "FlashArray (a proxy?)" % (self.hostname, status))
        self.api_version = choose_version(body["version"], self.hostname)
        path = "/api/%s/login" % version_text(self.api_version)
        status, headers, _body = self.request("POST", path, headers={"api-token": self._api_token})
        token = {k.lower(): v for k, v in headers.items()}.get("x-auth-token")
        if not token:
            raise PureError("Pure POST %s on %s: the answer (HTTP %s) has no x-auth-token header"
                            % (path, self.hostname, status))
        self._session_token = token

    def close(self):
        """Log out (best effort: the session ends by itself when idle)."""
        if not self._session_token:
            return
        try:
            self.request("POST", "/api/%s/logout" % version_text(self.api_version),
                         headers={"x-auth-token": self._session_token})
        except PureError:
            pass
        self._session_token = None

    def get_all(self, endpoint, params=None):
        """Every item of a collection GET (``endpoint`` as "hosts"), following continuation_token for at most
        max_pages pages: more pages than that is an error, never a cut list (a cut list of connections would
        make mapped volumes look unmapped)."""
        self.connect()
        path = "/api/%s/%s" % (version_text(self.api_version), endpoint.strip("/"))
        query = dict(params or {}, limit=self.page_size)
        items, seen = [], set()
        for page in range(self.max_pages):
            status, _headers, body = self.request("GET", path, query, {"x-auth-token": self._session_token})
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                # an empty 200, {} or a proxy's page is not an empty collection
                raise PureError("Pure GET %s on %s: the answer (HTTP %s) has no items list; an answer that is not "
                                "Pure's collection shape is an error, not an empty collection"
                                % (path, self.hostname, status))
            items.extend(body["items"])
            token = body.get("continuation_token")
            if not token:
                if body.get("more_items_remaining") is True:
                    raise PureError("Pure GET %s on %s: page %d says more items remain but gives no "
                                    "continuation_token; a truncated answer is an error, not a complete collection"
                                    % (path, self.hostname, page + 1))
                return items
            if token in seen:
                raise PureError("Pure GET %s on %s: continuation_token repeats on page %d"
                                % (path, self.hostname, page + 1))
            seen.add(token)
            query = dict(params or {}, limit=self.page_size, continuation_token=token)
        raise PureError("Pure GET %s on %s: more than %d pages of %d items; raise max_pages or page_size (a cut "
                        "list would make mapped volumes look unmapped)"
                        % (path, self.hostname, self.max_pages, self.page_size))
