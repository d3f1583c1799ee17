"""Field names checked against the official ``netapp-ontap`` library (its resources are generated from ONTAP's REST
schema): a field the client asks for that the schema does not know would be answered by ONTAP with an error
(code 262197), or, worse, be silently absent from a simulator built by hand."""


def _nested(field):
    import marshmallow
    if isinstance(field, marshmallow.fields.List):
        field = field.inner
    if isinstance(field, marshmallow.fields.Nested):
        return field.schema
    return None


def unknown_fields(resource, fields):
    """The dotted names of ``fields`` (a ``fields=`` value, comma separated, or a list) that are not in the schema
    of ``resource`` (a ``netapp_ontap.resources`` class)."""
    if isinstance(fields, str):
        fields = [f for f in fields.split(",") if f]
    out = []
    for dotted in fields:
        schema = resource._schema()  # pylint: disable=protected-access
        for part in dotted.split("."):
            by_key = {(f.data_key or name): f for name, f in schema.fields.items()} if schema is not None else {}
            if part not in by_key:
                out.append(dotted)
                break
            schema = _nested(by_key[part])
    return out
