"""Kubernetes protobuf request bodies, decoded to the JSON a client would send.

kubectl's generator commands (``kubectl create namespace``, ``configmap``,
``secret``, ``deployment``, ``service``, ``serviceaccount``) write through
client-go's typed clientset, which sends built-in objects as protobuf and does
not fall back to JSON on a 415. This module turns such a body into the
JSON-shaped dict the rest of the server reads, so nothing past the HTTP layer
knows the body was protobuf.

A body is the four magic bytes ``k8s\\x00`` and then an envelope message
(``runtime.Unknown``): field 1 the type (1 apiVersion, 2 kind), field 2 the
object's own encoding, 3 a content encoding and 4 a content type, both empty
from kubectl. The object's encoding follows the field numbers of Kubernetes'
``generated.proto`` files, which :mod:`.tables` restates: a message name at
the start of a line, then ``number jsonName TYPE`` entries split by ``;``.
TYPE is ``string`` when left out, else

=================  ==========================================================
``int32``          a scalar: also ``int64``, ``bool`` or ``bytes`` (base64)
``Container``      a message, by its name in the tables
``?int32``         a pointer in Go: present means set, so a zero is kept
``[]Container``    repeated
``map<Quantity>``  a map from string keys, sent as entries {1: key, 2: value}
``^VolumeSource``  an embedded struct, whose fields JSON inlines in the parent
=================  ==========================================================

Go writes every non-pointer field, so the wire carries ``""``, ``0`` and
``false`` that JSON's ``omitempty`` leaves out; those are dropped unless the
field is a pointer. A message is kept even when empty (``"resources": {}``),
as Go's JSON keeps a struct. Four small messages have a JSON form of their
own (``_SCALAR_MESSAGES``): Quantity and Time become strings, IntOrString an
int or a string, FieldsV1 the JSON it wraps. A worked example, ``kubectl
create namespace foo``::

    6b 38 73 00                             magic
    0a 0f  0a 02 "v1"  12 09 "Namespace"    type: apiVersion, kind
    12 1b  0a 13 (0a 03 "foo"  12 00 ...)   raw: metadata {name, generateName, ...
                  ... 38 00  42 00)         ... generation, creationTimestamp}
           12 00  1a 00                     spec {}, status {}
    1a 00  22 00                            contentEncoding, contentType
    -> {"kind": "Namespace", "apiVersion": "v1",
        "metadata": {"name": "foo"}, "spec": {}, "status": {}}

The empty ``42 00`` is ``creationTimestamp`` (field 8), Go's zero time, which
JSON writes as null and this decoder leaves out.

Only the kinds in ``tables.KINDS`` are read, and only the fields in the tables; the
error names the kind or field number refused, so a client can send JSON
instead. The exception tree::

    ProtobufError(ValueError)      the body is malformed (bad magic, truncated
    │                              varint or field, wrong wire type): a 400
    └── UnsupportedProtobufError   well-formed, but a kind, field or encoding
                                   the tables do not cover: a 415
"""

from kubelite.api.protobuf.decoding import (
    PROTOBUF,
    ProtobufError,
    UnsupportedProtobufError,
    decode_object,
)

__all__ = ["PROTOBUF", "ProtobufError", "UnsupportedProtobufError", "decode_object"]
