# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sanfleet.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every field pure_records and pure_client read, checked against Pure's own models (py-pure-client, pinned in
requirements-dev.txt) for the REST version the client chooses, and for the lowest and highest it accepts: the name
exists, its type is what the reader expects, and every fixture item parses as Pure's model (strict types: a LUN
given as text, a serial as a number, fail). A field renamed or retyped by Pure, or a fixture that drifted from Pure's
shape, fails here rather than as a mapped LUN that looks unmapped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

import pytest

from ansible_collections.sanfleet.remediation.plugins.plugin_utils import pure_client, pure_records
from ansible_collections.sanfleet.remediation.tests.unit.plugins.plugin_utils.pure_fake import API_TOKEN, FakeArray, fixture

pydantic_v1 = pytest.importorskip("pydantic.v1")
pytest.importorskip("pypureclient.flasharray")

LIST = "list"
REF = "reference"
# what each field read is to the reader: a text, a number, a flag, a list of texts, a reference {name[, id]}
EXPECTED = {
    "id": str, "name": str, "iqns": (LIST, str), "wwns": (LIST, str), "nqns": (LIST, str), "host_group": REF,
    "personality": str, "host_count": int, "serial": str, "provisioned": int, "destroyed": bool, "host": REF,
    "volume": REF, "lun": int, "nsid": int, "iqn": str, "wwn": str, "nqn": str, "portal": str,
}
# fields read when the API gives them (an NVMe connection's NSID: Connection.nsid exists from REST 2.27)
OPTIONAL = {("connections", "nsid")}
STRICT = {str: pydantic_v1.StrictStr, int: pydantic_v1.StrictInt, bool: pydantic_v1.StrictBool}


def models(version):
    return importlib.import_module("pypureclient.flasharray.FA_%d_%d.models" % version)


def chosen_version(monkeypatch):
    fake = FakeArray()
    monkeypatch.setattr(pure_client, "open_url", fake)
    client = pure_client.PureClient({"hostname": "fa1", "api_token": API_TOKEN})
    client.connect()
    return client.api_version


def field_kind(field):
    if field.shape != pydantic_v1.fields.SHAPE_SINGLETON:
        return (LIST, next(k for k, v in STRICT.items() if field.type_ is v)) if field.type_ in STRICT.values() else LIST
    if isinstance(field.type_, type) and issubclass(field.type_, pydantic_v1.BaseModel):
        return REF
    return next((k for k, v in STRICT.items() if field.type_ is v), field.type_)


def walk(model, dotted):
    """The pydantic field at a dotted path of a model (host_group.name), or None when a part is missing."""
    field = None
    for part in dotted.split("."):
        if model is None or part not in model.__fields__:
            return None
        field = model.__fields__[part]
        model = field.type_ if isinstance(field.type_, type) and issubclass(field.type_, pydantic_v1.BaseModel) else None
    return field


@pytest.fixture(params=["chosen", "lowest", "highest"])
def version(request, monkeypatch):
    return {"chosen": lambda: chosen_version(monkeypatch), "lowest": lambda: pure_client.MIN_API_VERSION,
            "highest": lambda: pure_client.MAX_API_VERSION}[request.param]()


def test_the_client_chooses_a_version_the_sdk_has(monkeypatch):
    assert chosen_version(monkeypatch) == (2, 36)
    for version in (pure_client.MIN_API_VERSION, pure_client.MAX_API_VERSION):
        assert models(version).Host is not None
    # the lowest accepted is the lowest with the Arrays and Port models the reader needs (the SDK's model map
    # answers None for a model a version does not have)
    below = models((2, 1))
    assert (below.Arrays, below.Port) == (None, None)
    assert models(pure_client.MIN_API_VERSION).Arrays is not None and models(pure_client.MIN_API_VERSION).Port is not None


def test_every_field_read_exists_with_the_type_the_reader_expects(version):
    found = []
    for endpoint, model_name, fields in pure_records.READS:
        model = getattr(models(version), model_name)
        assert model is not None, (version, model_name)
        for dotted in fields:
            field = walk(model, dotted)
            if field is None:
                found.append((endpoint, dotted, "missing"))
                continue
            head = dotted.split(".")[0]
            kind = field_kind(model.__fields__[head])
            if kind != EXPECTED[head]:
                found.append((endpoint, dotted, kind))
            if "." in dotted and field_kind(field) is not str:
                found.append((endpoint, dotted, field_kind(field)))
    missing_ok = [(e, d, k) for e, d, k in found if k == "missing" and (e, d) in OPTIONAL and version < (2, 27)]
    assert [f for f in found if f not in missing_ok] == []


def test_every_fixture_item_parses_as_pures_model(version):
    for endpoint, model_name, _fields in pure_records.READS:
        model = getattr(models(version), model_name)
        for item in fixture(endpoint + ".json")["items"]:
            known = dict((k, v) for k, v in item.items() if k in model.__fields__)
            if version >= (2, 27) or endpoint != "connections":
                assert set(known) == set(item), (endpoint, sorted(set(item) - set(known)))
            model.parse_obj(known)      # strict types: raises on a value of another type


def test_the_paging_login_and_version_answers_are_pures_shapes(version):
    m = models(version)
    page = m.HostGetResponse.__fields__
    assert field_kind(page["continuation_token"]) is str and field_kind(page["more_items_remaining"]) is bool
    assert page["items"].shape != pydantic_v1.fields.SHAPE_SINGLETON
    for endpoint, model_name, _fields in pure_records.READS:
        m_page = getattr(m, model_name + "GetResponse", None) or getattr(m, "ArrayGetResponse")
        m_page.parse_obj(dict((k, v) for k, v in fixture(endpoint + ".json").items() if k in m_page.__fields__))
    assert field_kind(m.ApiVersionResponse.__fields__["version"]) == (LIST, str)
    m.ApiVersionResponse.parse_obj(fixture("api_version.json"))
    m.UsernameResponse.parse_obj(fixture("login.json"))
    if m.ErrorContextResponse is not None:      # in the SDK's model map from 2.49; errors[].message before too
        assert field_kind(m.ErrorContextResponse.__fields__["errors"]) == LIST
        m.ErrorContextResponse.parse_obj(fixture("error_401.json"))
