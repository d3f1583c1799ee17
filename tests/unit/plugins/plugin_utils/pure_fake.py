# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake FlashArray behind the ``open_url`` that pure_client calls: it answers with the cited fixtures of
fixtures/pure/ (SOURCES.md), as Pure's REST 2.x does -- GET /api/api_version, POST /api/<v>/login with the header
api-token (the session token in the header x-auth-token), GET /api/<v>/<collection> with x-auth-token, paged by
`limit` and `continuation_token` -- and can be told to answer 429/503/"Server is busy" or reset a connection."""

from __future__ import annotations

import copy
import io
import json
from email.message import Message
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pure"
API_TOKEN = "e31060a7-21fc-e277-6240-25983c6c4592"      # the form of the api_token in Pure's Ansible examples
SESSION_TOKEN = "0f3a7c1e-6d2b-4e8a-9b5c-7a1d3e5f9c24"
COLLECTIONS = ("arrays", "hosts", "host-groups", "volumes", "connections", "ports")


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


class _Response:
    def __init__(self, status, body, headers=None):
        self.status = status
        self.headers = Message()
        for key, value in (headers or {}).items():
            self.headers[key] = value
        self._raw = json.dumps(body).encode("utf-8") if body is not None else b""

    def read(self):
        return self._raw

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeArray:
    """Call it as open_url. ``answers`` maps a collection to its fixture body; ``interruptions`` maps a path tail
    ("login", "hosts", ...) to what its next requests get first (an HTTP status, "busy" or "reset")."""

    def __init__(self, api_version="api_version.json"):
        self.versions = fixture(api_version)
        self.answers = dict((name, fixture(name + ".json")) for name in COLLECTIONS)
        self.interruptions = {}
        self.retry_after = None
        self.requests = []        # (method, path, query, headers, open_url keyword arguments)

    def calls_to(self, tail):
        return [r for r in self.requests if r[1].endswith("/" + tail)]

    def _error(self, url, status, body, headers=None):
        hdrs = Message()
        for key, value in (headers or {}).items():
            hdrs[key] = value
        return HTTPError(url, status, "error", hdrs, io.BytesIO(json.dumps(body).encode("utf-8")))

    def __call__(self, url, **kwargs):
        parts = urlsplit(url)
        query = dict((k, v[0]) for k, v in parse_qs(parts.query).items())
        headers = dict(kwargs.get("headers") or {})
        method = kwargs.get("method") or "GET"
        self.requests.append((method, parts.path, query, headers, kwargs))
        tail = parts.path.rsplit("/", 1)[-1]
        pending = self.interruptions.get(tail) or []
        if pending:
            what = pending.pop(0)
            if what == "reset":
                raise ConnectionResetError(104, "Connection reset by peer")
            if what == "busy":
                raise self._error(url, 500, fixture("error_busy.json"))
            extra = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
            raise self._error(url, what, {"errors": [{"message": "try later"}]}, extra)
        if parts.path == "/api/api_version":
            return _Response(200, self.versions)
        if tail == "login":
            if method != "POST" or headers.get("api-token") != API_TOKEN:
                # an error body that quotes what it was given: the client must still not show the token
                body = fixture("error_401.json")
                body["errors"][0]["context"] = headers.get("api-token")
                raise self._error(url, 401, body)
            return _Response(200, fixture("login.json"), {"x-auth-token": SESSION_TOKEN})
        if tail == "logout":
            return _Response(200, None)
        if headers.get("x-auth-token") != SESSION_TOKEN:
            raise self._error(url, 401, fixture("error_401.json"))
        if tail not in self.answers:
            raise self._error(url, 404, {"errors": [{"message": "Not found."}]})
        return _Response(200, self._page(self.answers[tail], query))

    @staticmethod
    def _page(answer, query):
        """One page of a collection: Pure gives a continuation_token when `limit` is less than what remains."""
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            return answer
        items = answer["items"]
        start = int(query.get("continuation_token", "0").replace("tok-", "") or 0)
        limit = int(query.get("limit") or len(items) or 1)
        page = copy.deepcopy(answer)
        page["items"] = items[start:start + limit]
        more = start + limit < len(items)
        page["continuation_token"] = "tok-%d" % (start + limit) if more else None
        # a fixture that says more remain on its last page (a cut answer) keeps saying it
        page["more_items_remaining"] = more or bool(answer.get("more_items_remaining"))
        return page
