"""Kubernetes protobuf bodies, built byte by byte here, decoded to JSON objects."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kubelite.api.protobuf import (
    PROTOBUF,
    ProtobufError,
    UnsupportedProtobufError,
    decode_object,
)

# -- a tiny encoder: just enough protobuf to write what client-go writes ----------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negatives as Go writes them: ten bytes
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def num(number: int, value: int) -> bytes:
    """A varint field: ints and bools."""
    return varint(number << 3) + varint(value)


def raw(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field: strings, bytes and messages."""
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def msg(number: int, *fields: bytes) -> bytes:
    return raw(number, b"".join(fields))


def entry(number: int, key: str, value: bytes | str) -> bytes:
    """One map entry, as protobuf sends maps."""
    return msg(number, raw(1, key), raw(2, value))


def body(api_version: str, kind: str, *fields: bytes) -> bytes:
    """The magic, then runtime.Unknown{typeMeta, raw, contentEncoding, contentType}."""
    type_meta = msg(1, raw(1, api_version), raw(2, kind))
    return b"k8s\x00" + type_meta + msg(2, *fields) + raw(3, "") + raw(4, "")


ZERO_TIME = b""  # Go's zero metav1.Time is an empty message


def meta(name: str, *extra: bytes) -> bytes:
    """ObjectMeta as Go writes it: every string field, even the empty ones."""
    return msg(
        1,
        raw(1, name),
        raw(2, ""),
        raw(3, ""),
        raw(4, ""),
        raw(5, ""),
        raw(6, ""),
        num(7, 0),
        raw(8, ZERO_TIME),
        *extra,
    )


def quantity(number: int, text: str) -> bytes:
    return msg(number, raw(1, text))


def int_or_string(number: int, value: int | str) -> bytes:
    if isinstance(value, str):
        return msg(number, num(1, 1), num(2, 0), raw(3, value))
    return msg(number, num(1, 0), num(2, value), raw(3, ""))


def decode(*fields: bytes, api_version: str = "v1", kind: str = "Namespace") -> dict[str, Any]:
    return decode_object(body(api_version, kind, *fields))


# -- the kinds kubectl's generators send ----------------------------------------------


def test_the_media_type() -> None:
    assert PROTOBUF == "application/vnd.kubernetes.protobuf"


def test_namespace_keeps_empty_spec_and_status_and_drops_zero_time() -> None:
    obj = decode(meta("foo"), msg(2), msg(3))
    assert obj == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "foo"},
        "spec": {},
        "status": {},
    }


def test_namespace_with_finalizers_labels_and_status() -> None:
    obj = decode(
        meta("foo", entry(11, "team", "a"), entry(11, "env", ""), entry(12, "note", "x")),
        msg(2, raw(1, "kubernetes")),
        msg(3, raw(1, "Active")),
    )
    assert obj["metadata"] == {
        "name": "foo",
        "labels": {"team": "a", "env": ""},
        "annotations": {"note": "x"},
    }
    assert obj["spec"] == {"finalizers": ["kubernetes"]}
    assert obj["status"] == {"phase": "Active"}


def test_configmap_data_binary_data_and_an_explicit_false() -> None:
    obj = decode(
        meta("cm"),
        entry(2, "a", "b"),
        entry(2, "game.properties", "lives=3\n"),
        entry(3, "blob", b"\x00\xff\x10"),
        num(4, 0),
        kind="ConfigMap",
    )
    assert obj == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cm"},
        "data": {"a": "b", "game.properties": "lives=3\n"},
        "binaryData": {"blob": base64.b64encode(b"\x00\xff\x10").decode()},
        "immutable": False,
    }


def test_secret_data_is_base64_and_a_missing_value_is_empty() -> None:
    obj = decode(
        meta("s"),
        entry(2, "password", b"\xde\xad\xbe\xef"),
        msg(2, raw(1, "empty")),
        raw(3, "Opaque"),
        entry(4, "plain", "text"),
        kind="Secret",
    )
    assert obj["data"] == {"password": "3q2+7w==", "empty": ""}
    assert obj["type"] == "Opaque"
    assert obj["stringData"] == {"plain": "text"}
    assert "immutable" not in obj


def test_service_account_references() -> None:
    obj = decode(
        meta("sa"),
        msg(
            2,
            raw(1, ""),
            raw(2, ""),
            raw(3, "token"),
            raw(4, ""),
            raw(5, ""),
            raw(6, ""),
            raw(7, ""),
        ),
        msg(3, raw(1, "regcred")),
        num(4, 0),
        kind="ServiceAccount",
    )
    assert obj == {
        "kind": "ServiceAccount",
        "apiVersion": "v1",
        "metadata": {"name": "sa"},
        "secrets": [{"name": "token"}],
        "imagePullSecrets": [{"name": "regcred"}],
        "automountServiceAccountToken": False,
    }


def container() -> bytes:
    probe = msg(
        10,
        msg(1, msg(2, raw(1, "/healthz"), int_or_string(2, "http"), raw(3, ""), raw(4, "HTTP"))),
        num(2, 5),
        num(3, 0),
    )
    return msg(
        2,
        raw(1, "web"),
        raw(2, "nginx:1.27"),
        raw(3, "nginx"),
        raw(4, "-g"),
        raw(4, "daemon off;"),
        raw(5, ""),
        msg(6, raw(1, "http"), num(2, 0), num(3, 80), raw(4, "TCP"), raw(5, "")),
        msg(7, raw(1, "MODE"), raw(2, "prod")),
        msg(7, raw(1, "TOKEN"), raw(2, ""), msg(3, msg(4, msg(1, raw(1, "creds")), raw(2, "t")))),
        msg(
            8,
            msg(1, raw(1, "memory"), quantity(2, "128Mi")),
            msg(2, raw(1, "cpu"), quantity(2, "100m")),
        ),
        msg(9, raw(1, "config"), num(2, 1), raw(3, "/etc/web"), raw(4, ""), raw(6, "")),
        probe,
        raw(13, ""),
        raw(14, "IfNotPresent"),
        num(16, 0),
        num(17, 0),
        num(18, 0),
    )


def pod_spec() -> bytes:
    config_volume = msg(
        1, raw(1, "config"), msg(2, msg(19, msg(1, raw(1, "web-config")), num(3, 420)))
    )
    return msg(
        2,
        config_volume,
        container(),
        raw(3, "Always"),
        num(4, 30),
        raw(6, ""),
        raw(8, ""),
        raw(9, ""),
        raw(10, ""),
        num(11, 0),
        msg(14, num(2, 1000)),
    )


def test_deployment_as_kubectl_create_deployment_sends_it() -> None:
    spec = msg(
        2,
        num(1, 0),  # replicas is a pointer: an explicit zero stays
        msg(2, entry(1, "app", "web"), msg(2, raw(1, "tier"), raw(2, "In"), raw(3, "front"))),
        msg(3, meta("", entry(11, "app", "web")), pod_spec()),
        msg(4, raw(1, "RollingUpdate"), msg(2, int_or_string(1, 1), int_or_string(2, "25%"))),
        num(5, 0),
        num(7, 0),
    )
    obj = decode(meta("web"), spec, msg(3), api_version="apps/v1", kind="Deployment")
    assert obj["kind"] == "Deployment"
    assert obj["apiVersion"] == "apps/v1"
    assert obj["status"] == {}
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["selector"] == {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}],
    }
    assert obj["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"},
    }
    template = obj["spec"]["template"]
    assert template["metadata"] == {"labels": {"app": "web"}}
    pod = template["spec"]
    assert pod["volumes"] == [
        {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}}
    ]
    assert pod["restartPolicy"] == "Always"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"] == {"runAsUser": 1000}
    assert "hostNetwork" not in pod
    assert pod["containers"] == [
        {
            "name": "web",
            "image": "nginx:1.27",
            "command": ["nginx"],
            "args": ["-g", "daemon off;"],
            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "t"}}},
            ],
            "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m"}},
            "volumeMounts": [{"name": "config", "readOnly": True, "mountPath": "/etc/web"}],
            "livenessProbe": {
                "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                "initialDelaySeconds": 5,
            },
            "imagePullPolicy": "IfNotPresent",
        }
    ]


def test_packed_and_unpacked_repeated_numbers_both_read() -> None:
    spec = msg(3, meta(""), msg(2, msg(14, raw(4, varint(1) + varint(2)), num(4, 3))))
    obj = decode(meta("d"), msg(2, spec), api_version="apps/v1", kind="Deployment")
    assert obj["spec"]["template"]["spec"]["securityContext"] == {"supplementalGroups": [1, 2, 3]}


def test_service_ports_selector_and_status() -> None:
    port = msg(
        1, raw(1, "80-8080"), raw(2, "TCP"), num(3, 80), int_or_string(4, 8080), num(5, 30080)
    )
    spec = msg(
        2,
        port,
        entry(2, "app", "web"),
        raw(3, ""),
        raw(4, "NodePort"),
        raw(7, ""),
        num(12, 0),
        num(13, 0),
        raw(17, "SingleStack"),
    )
    obj = decode(meta("web"), spec, msg(3, msg(1)), kind="Service")
    assert obj["spec"] == {
        "ports": [
            {
                "name": "80-8080",
                "protocol": "TCP",
                "port": 80,
                "targetPort": 8080,
                "nodePort": 30080,
            }
        ],
        "selector": {"app": "web"},
        "type": "NodePort",
        "ipFamilyPolicy": "SingleStack",
    }
    assert obj["status"] == {"loadBalancer": {}}


def test_external_name_service() -> None:
    spec = msg(2, raw(3, ""), raw(4, "ExternalName"), raw(10, "example.com"))
    obj = decode(meta("ext"), spec, msg(3, msg(1)), kind="Service")
    assert obj["spec"] == {"type": "ExternalName", "externalName": "example.com"}


def test_negative_numbers_read_as_go_writes_them() -> None:
    port = msg(1, num(3, -1), int_or_string(4, -2))
    obj = decode(meta("svc"), msg(2, port), kind="Service")
    assert obj["spec"]["ports"] == [{"port": -1, "targetPort": -2}]
    assert varint(-1) == b"\xff" * 9 + b"\x01"


def test_times_and_managed_fields() -> None:
    managed = msg(
        17,
        raw(1, "kubectl"),
        raw(2, "Update"),
        raw(3, "v1"),
        msg(4, num(1, 1_700_000_000), num(2, 5)),
        raw(6, "FieldsV1"),
        msg(7, raw(1, b'{"f:data":{}}')),
    )
    created = msg(8, num(1, 0))  # an explicit epoch is a time, unlike the empty message
    obj = decode(msg(1, raw(1, "cm"), created, managed), kind="ConfigMap")
    assert obj["metadata"] == {
        "name": "cm",
        "creationTimestamp": "1970-01-01T00:00:00Z",
        "managedFields": [
            {
                "manager": "kubectl",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2023-11-14T22:13:20Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}},
            }
        ],
    }


def test_owner_references_keep_explicit_false_pointers() -> None:
    owner = msg(
        13,
        raw(1, "Deployment"),
        raw(3, "web"),
        raw(4, "u-1"),
        raw(5, "apps/v1"),
        num(6, 1),
        num(7, 0),
    )
    obj = decode(msg(1, raw(1, "x"), owner))
    assert obj["metadata"]["ownerReferences"] == [
        {
            "kind": "Deployment",
            "name": "web",
            "uid": "u-1",
            "apiVersion": "apps/v1",
            "controller": True,
            "blockOwnerDeletion": False,
        }
    ]


def test_a_message_sent_in_two_parts_merges() -> None:
    obj = decode(msg(1, raw(1, "a")), msg(1, raw(3, "ns")))
    assert obj["metadata"] == {"name": "a", "namespace": "ns"}


# -- refusals ---------------------------------------------------------------------


def test_bad_magic() -> None:
    with pytest.raises(ProtobufError, match="magic"):
        decode_object(b'{"kind": "Namespace"}')


def test_truncated_varint() -> None:
    with pytest.raises(ProtobufError, match="truncated varint"):
        decode_object(b"k8s\x00" + msg(1, raw(1, "v1"), raw(2, "Namespace")) + b"\x12\x80")


def test_truncated_field() -> None:
    with pytest.raises(ProtobufError, match="truncated protobuf field 2"):
        decode_object(b"k8s\x00" + msg(1, raw(1, "v1"), raw(2, "Namespace")) + b"\x12\x05\x0a")


def test_varint_longer_than_ten_bytes() -> None:
    with pytest.raises(ProtobufError, match="longer than 10 bytes"):
        decode(msg(1, b"\x38" + b"\xff" * 11 + b"\x01"))


def test_wrong_wire_type() -> None:
    with pytest.raises(ProtobufError) as caught:
        decode(msg(1, num(1, 7)))
    assert not isinstance(caught.value, UnsupportedProtobufError)
    assert str(caught.value) == (
        "protobuf field 1 (name) in io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta "
        "has wire type varint, not length-delimited"
    )


def test_group_wire_type() -> None:
    with pytest.raises(ProtobufError, match="unsupported wire type 3 for field 1"):
        decode(msg(1, varint(1 << 3 | 3)))


def test_invalid_utf8() -> None:
    with pytest.raises(ProtobufError, match=r"name in .*ObjectMeta is not valid UTF-8"):
        decode(msg(1, raw(1, b"\xff")))


def test_missing_kind() -> None:
    with pytest.raises(ProtobufError, match="does not name its apiVersion and kind"):
        decode_object(b"k8s\x00" + msg(1, raw(1, "v1")) + msg(2))


def test_unknown_envelope_field() -> None:
    with pytest.raises(ProtobufError, match="field 9 in the protobuf envelope"):
        decode_object(body("v1", "Namespace") + raw(9, ""))


def test_unknown_field_is_unsupported_and_named() -> None:
    ephemeral = msg(34, raw(1, "debug"))
    spec = msg(2, msg(3, msg(2, ephemeral)))
    with pytest.raises(UnsupportedProtobufError) as caught:
        decode(meta("d"), spec, api_version="apps/v1", kind="Deployment")
    assert str(caught.value) == "unsupported protobuf field 34 in io.k8s.api.core.v1.PodSpec"
    assert isinstance(caught.value, ProtobufError)
    assert isinstance(caught.value, ValueError)


def test_unknown_kind_is_unsupported() -> None:
    with pytest.raises(UnsupportedProtobufError) as caught:
        decode(meta("j"), api_version="batch/v1", kind="Job")
    assert str(caught.value) == 'kind "Job" is not accepted as protobuf; send JSON'


def test_known_kind_in_another_version_is_unsupported() -> None:
    with pytest.raises(UnsupportedProtobufError, match="only in apps/v1, not extensions/v1beta1"):
        decode(meta("d"), api_version="extensions/v1beta1", kind="Deployment")


def test_compressed_content_is_unsupported() -> None:
    type_meta = msg(1, raw(1, "v1"), raw(2, "Namespace"))
    with pytest.raises(UnsupportedProtobufError, match="content encoding 'gzip'"):
        decode_object(b"k8s\x00" + type_meta + msg(2) + raw(3, "gzip"))
