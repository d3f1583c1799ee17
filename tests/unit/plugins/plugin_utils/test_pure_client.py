# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/plugin_utils/pure_client.py against a fake FlashArray (pure_fake.py) answering with the cited fixtures:
the login handshake, the version choice, paging and its guard, retries and their bound, TLS, and no token in any
message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure_client
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.pure_fake import (
    API_TOKEN, SESSION_TOKEN, FakeArray)


@pytest.fixture
def array(monkeypatch):
    fake = FakeArray()
    monkeypatch.setattr(pure_client, "open_url", fake)
    monkeypatch.setattr(pure_client, "_sleep", lambda seconds: None)   # backoff waits are not what is tested
    return fake


def client(**extra):
    options = dict({"hostname": "fa1.example.com", "api_token": API_TOKEN}, **extra)
    return pure_client.PureClient(options, timeout=extra.pop("timeout", 30))


def test_login_sends_the_api_token_header_and_reads_with_the_session_token(array):
    """Pure's handshake: GET /api/api_version, POST /api/2.N/login with header api-token (empty body), then every
    GET with the x-auth-token the login answered, never the API token itself."""
    c = client()
    assert len(c.get_all("arrays")) == 1
    (method, path, _q, headers, kwargs), = array.calls_to("login")
    assert (method, path, headers["api-token"], kwargs["data"]) == ("POST", "/api/2.36/login", API_TOKEN, b"")
    (method, path, _q, headers, _kw), = array.calls_to("arrays")
    assert (method, path, headers.get("x-auth-token")) == ("GET", "/api/2.36/arrays", SESSION_TOKEN)
    assert "api-token" not in headers
    assert [r[1] for r in array.requests] == ["/api/api_version", "/api/2.36/login", "/api/2.36/arrays"]
    assert c.requests_made == 3


def test_a_login_answer_without_x_auth_token_is_an_error(array, monkeypatch):
    real = array.__call__

    def no_header(url, **kwargs):
        response = real(url, **kwargs)
        if url.endswith("/login"):
            del response.headers["x-auth-token"]
        return response
    monkeypatch.setattr(pure_client, "open_url", no_header)
    with pytest.raises(pure_client.PureError, match=r"login on fa1.example.com: the answer \(HTTP 200\) has no x-auth-token"):
        client().get_all("arrays")


@pytest.mark.parametrize("offered, chosen", [
    (["1.19", "2.0", "2.2", "2.36"], (2, 36)),
    (["2.2", "2.58", "2.59", "2.60"], (2, 58)),       # newer than the SDK whose models were checked: its newest
    (["2.26", "2.4", "2.30-dev", "x"], (2, 26)),      # order and unparsable entries do not matter
])
def test_the_highest_known_2x_version_is_chosen(offered, chosen):
    assert pure_client.choose_version(offered) == chosen


@pytest.mark.parametrize("offered, why", [
    (["1.0", "1.17", "1.19"], r"offers no REST 2\.x API \(versions offered: 1\.0, 1\.17, 1\.19\)"),
    (["1.19", "2.0", "2.1"], r"offers no REST version this client reads with \(offered: 1\.19, 2\.0, 2\.1; known: 2\.2 to"),
    ([], r"offers no REST 2\.x API \(versions offered: none\)"),
])
def test_an_array_without_a_usable_2x_version_is_refused_clearly(offered, why):
    with pytest.raises(pure_client.PureError, match=why):
        pure_client.choose_version(offered, "fa1")


def test_a_rest_1_only_array_is_refused_before_any_login(monkeypatch):
    fake = FakeArray(api_version="api_version_rest1_only.json")
    monkeypatch.setattr(pure_client, "open_url", fake)
    with pytest.raises(pure_client.PureError, match=r"Pure fa1.example.com offers no REST 2\.x API"):
        client().get_all("hosts")
    assert fake.calls_to("login") == []


def test_a_collection_is_read_over_two_pages_with_the_continuation_token(array):
    c = client(page_size=3)
    hosts = c.get_all("hosts")
    assert [h["name"] for h in hosts] == [h["name"] for h in array.answers["hosts"]["items"]]
    assert len(hosts) == 5
    first, second = array.calls_to("hosts")
    assert first[2] == {"limit": "3"}
    assert second[2] == {"limit": "3", "continuation_token": "tok-3"}


def test_more_pages_than_max_pages_is_an_error_not_a_cut_list(array):
    """A cut list of connections would make mapped volumes look unmapped."""
    c = client(page_size=2, max_pages=2)
    with pytest.raises(pure_client.PureError, match=r"GET /api/2\.36/hosts on fa1.example.com: more than 2 pages of 2"):
        c.get_all("hosts")
    assert len(array.calls_to("hosts")) == 2


def test_more_items_remaining_without_a_continuation_token_is_an_error(array):
    array.answers["connections"] = dict(array.answers["connections"], more_items_remaining=True)
    with pytest.raises(pure_client.PureError, match=r"says more items remain but gives no continuation_token"):
        client().get_all("connections")


@pytest.mark.parametrize("answer", [{}, None, {"items": None}, {"errors": []}])
def test_an_answer_without_an_items_list_is_an_error_not_an_empty_collection(array, answer):
    array.answers["connections"] = answer
    with pytest.raises(pure_client.PureError, match=r"has no items list"):
        client().get_all("connections")


def test_a_bad_api_token_is_a_401_naming_pures_message_without_the_token(array):
    """The fake array quotes the token it was given in the error's context: the message must still not show it."""
    c = client(api_token="wrong-" + API_TOKEN)
    with pytest.raises(pure_client.PureError) as failed:
        c.get_all("hosts")
    msg = str(failed.value)
    assert msg.startswith("Pure POST /api/2.36/login on fa1.example.com failed (HTTP 401): Invalid API token.")
    assert API_TOKEN not in msg and "wrong-" not in msg and "********" in msg


def test_no_token_in_an_error_of_a_read_after_login(array, monkeypatch):
    """An error message that quotes either token (the API token, the session token) is shown without it."""
    real = array.__call__

    def quoting(url, **kwargs):
        if url.split("?")[0].endswith("/hosts"):
            raise array._error(url, 400, {"errors": [{"message": "bad request %s %s" % (API_TOKEN, SESSION_TOKEN)}]})
        return real(url, **kwargs)
    monkeypatch.setattr(pure_client, "open_url", quoting)
    with pytest.raises(pure_client.PureError) as failed:
        client().get_all("hosts")
    assert str(failed.value) == ("Pure GET /api/2.36/hosts on fa1.example.com failed (HTTP 400): "
                                 "bad request ******** ********")


@pytest.mark.parametrize("later, reason", [(429, "HTTP 429"), (503, "HTTP 503"), ("busy", "HTTP 500"),
                                           ("reset", "connection reset")])
def test_an_answer_that_says_later_is_asked_again_and_counted(array, later, reason):
    array.interruptions["hosts"] = [later]
    c = client()
    assert len(c.get_all("hosts")) == 5
    assert c.retries == [reason]
    assert len(array.calls_to("hosts")) == 2


def test_a_retry_waits_as_long_as_retry_after_asks(array, monkeypatch):
    waits = []
    monkeypatch.setattr(pure_client, "_sleep", waits.append)
    array.interruptions["login"], array.retry_after = [429], 3
    client().connect()
    assert waits == [3.0]


def test_retries_end_at_retry_max_with_the_last_answer(array):
    """However long the timeout, a request is tried at most RETRY_MAX + 1 times."""
    array.interruptions["hosts"] = [503] * 100
    c = client(timeout=100000)
    with pytest.raises(pure_client.PureError, match=r"GET /api/2\.36/hosts on fa1.example.com failed \(HTTP 503\): try later"):
        c.get_all("hosts")
    assert c.retries == ["HTTP 503"] * pure_client.RETRY_MAX
    assert len(array.calls_to("hosts")) == pure_client.RETRY_MAX + 1


def test_retries_end_within_the_request_timeout(array, monkeypatch):
    """A wait that would start the next try after `timeout` of the first is not waited: the request fails."""
    clock = [1000.0]
    monkeypatch.setattr(pure_client.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(pure_client, "_sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    array.interruptions["hosts"], array.retry_after = [503] * 100, 20
    c = client(timeout=30)
    with pytest.raises(pure_client.PureError, match=r"\(HTTP 503\)"):
        c.get_all("hosts")
    assert c.retries == ["HTTP 503"]     # a 20 s wait fits in 30 s once, not twice
    assert len(array.calls_to("hosts")) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_other_errors_are_not_asked_again(array, status):
    array.interruptions["hosts"] = [status]
    c = client()
    with pytest.raises(pure_client.PureError, match=r"\(HTTP %d\)" % status):
        c.get_all("hosts")
    assert c.retries == [] and len(array.calls_to("hosts")) == 1


def test_a_refused_connection_is_named_at_once(array, monkeypatch):
    def refused(url, **kwargs):
        raise pure_client.URLError(ConnectionRefusedError(111, "Connection refused"))
    monkeypatch.setattr(pure_client, "open_url", refused)
    c = client()
    with pytest.raises(pure_client.PureError, match=r"GET /api/api_version on fa1.example.com failed: .*Connection refused"):
        c.connect()
    assert c.retries == []


def test_tls_is_verified_by_default_with_the_ca_path_given(array, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    client(ca_path=str(ca)).get_all("hosts")
    for _m, _p, _q, _h, kwargs in array.requests:
        assert (kwargs["validate_certs"], kwargs["ca_path"], kwargs["follow_redirects"]) == (True, str(ca), "none")
    assert all(r[4]["timeout"] == 30 for r in array.requests)


def test_validate_certs_false_is_the_callers_choice(array):
    client(validate_certs=False).get_all("hosts")
    assert set(r[4]["validate_certs"] for r in array.requests) == {False}


def test_https_only_and_the_url_it_builds(array):
    with pytest.raises(pure_client.PureError, match=r"only HTTPS"):
        client(hostname="http://fa1.example.com")
    client(hostname="https://fa1.example.com/").connect()
    assert array.requests[0][1] == "/api/api_version"
    with pytest.raises(pure_client.PureError, match=r"give api_token"):
        pure_client.PureClient({"hostname": "fa1"})


def test_the_url_brackets_an_ipv6_address(monkeypatch):
    seen = []
    fake = FakeArray()

    def record(url, **kwargs):
        seen.append(url)
        return fake(url, **kwargs)
    monkeypatch.setattr(pure_client, "open_url", record)
    client(hostname="2001:db8::10").connect()
    assert seen[0] == "https://[2001:db8::10]/api/api_version"


def test_close_logs_out_with_the_session_token_and_never_fails(array):
    c = client()
    c.connect()
    c.close()
    (method, path, _q, headers, _kw), = array.calls_to("logout")
    assert (method, path, headers) == ("POST", "/api/2.36/logout", {"x-auth-token": SESSION_TOKEN, "Accept": "application/json"})
    array.interruptions["logout"] = [500]
    c.connect()
    c.close()          # a failed logout is not a failed read: the session ends by itself when idle
    assert c._session_token is None


@pytest.mark.parametrize("value, verified", [("false", False), ("no", False), ("true", True), (None, True), (False, False)])
def test_validate_certs_given_as_text_means_what_it_says(array, value, verified):
    """bool("false") is True: a survey's "false" must turn verification off only because it says so."""
    assert client(validate_certs=value).validate_certs is verified


@pytest.mark.parametrize("bad", [{"page_size": 0}, {"max_pages": -1}, {"page_size": "many"}, {"timeout": float("nan")},
                                 {"timeout": -5}, {"validate_certs": "maybe"}])
def test_bad_options_are_a_clear_error(bad):
    with pytest.raises(pure_client.PureError, match=r"^Pure fa1.example.com: "):
        pure_client.PureClient(dict({"hostname": "fa1.example.com", "api_token": API_TOKEN}, **bad))


def test_a_token_with_a_newline_is_refused_without_naming_it_and_a_header_http_refuses_is_a_pure_error(monkeypatch):
    """A token piped into ansible-vault keeps its newline, which http.client refuses as a header value with a
    ValueError whose text holds the token: it is refused before any request, never named; and any ValueError of the
    HTTP stack (the real one here, to an address nothing listens on) is a PureError without the token (review 7)."""
    from ansible.module_utils import urls
    token = "0b1c2d3e-secret-api-token-4f5a6b7c"
    for bad in (token + "\n", token + " ", "\x00" + token):
        with pytest.raises(pure_client.PureError, match="blank, a newline or a control character") as err:
            pure_client.PureClient({"hostname": "fa1.example.com", "api_token": bad}, timeout=5)
        assert token not in str(err.value)
    client = pure_client.PureClient({"hostname": "fa1.example.com", "api_token": token}, timeout=5)
    monkeypatch.setattr(pure_client, "open_url", lambda url, **kwargs: urls.open_url(
        "https://127.0.0.1:9/api/2.36/login", **dict(kwargs, headers={"api-token": token + "\n"})))
    with pytest.raises(pure_client.PureError) as err:
        client.request("POST", "/api/2.36/login", headers={"api-token": token})
    assert token not in str(err.value)
