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
``generated.proto`` files, which the tables below restate: a message name at
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

Only the kinds in ``_KINDS`` are read, and only the fields in the tables; the
error names the kind or field number refused, so a client can send JSON
instead. The exception tree::

    ProtobufError(ValueError)      the body is malformed (bad magic, truncated
    │                              varint or field, wrong wire type): a 400
    └── UnsupportedProtobufError   well-formed, but a kind, field or encoding
                                   the tables do not cover: a 415
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

PROTOBUF: Final = "application/vnd.kubernetes.protobuf"

_MAGIC: Final = b"k8s\x00"


class ProtobufError(ValueError):
    """A protobuf body that cannot be decoded; the message names the problem."""


class UnsupportedProtobufError(ProtobufError):
    """A well-formed body naming a kind, field or encoding outside the tables."""


# -- the messages ------------------------------------------------------------------

_META: Final = """
ObjectMeta              1 name; 2 generateName; 3 namespace; 4 selfLink; 5 uid
    6 resourceVersion; 7 generation int64; 8 creationTimestamp Time
    9 deletionTimestamp Time; 10 deletionGracePeriodSeconds ?int64
    11 labels map<string>; 12 annotations map<string>
    13 ownerReferences []OwnerReference; 14 finalizers []string
    17 managedFields []ManagedFieldsEntry
OwnerReference          1 kind; 3 name; 4 uid; 5 apiVersion; 6 controller ?bool
    7 blockOwnerDeletion ?bool
ManagedFieldsEntry      1 manager; 2 operation; 3 apiVersion; 4 time Time
    6 fieldsType; 7 fieldsV1 FieldsV1; 8 subresource
LabelSelector           1 matchLabels map<string>
    2 matchExpressions []LabelSelectorRequirement
LabelSelectorRequirement 1 key; 2 operator; 3 values []string
Condition               1 type; 2 status; 3 observedGeneration int64
    4 lastTransitionTime Time; 5 reason; 6 message
# Go sends its zero time as an empty Time; a present 0 is the epoch, so it is kept.
Time                    1 seconds ?int64; 2 nanos int32
FieldsV1                1 Raw bytes
"""

# Two small messages from packages of their own.
_WRAPPERS: Final = {
    "io.k8s.apimachinery.pkg.api.resource": "Quantity                1 string",
    "io.k8s.apimachinery.pkg.util.intstr": (
        "IntOrString             1 type int64; 2 intVal int32; 3 strVal"
    ),
}

_APPS: Final = """
Deployment              1 metadata ObjectMeta; 2 spec DeploymentSpec
    3 status DeploymentStatus
DeploymentSpec          1 replicas ?int32; 2 selector LabelSelector
    3 template PodTemplateSpec; 4 strategy DeploymentStrategy; 5 minReadySeconds int32
    6 revisionHistoryLimit ?int32; 7 paused bool; 9 progressDeadlineSeconds ?int32
    10 podReplacementPolicy ?string
DeploymentStrategy      1 type; 2 rollingUpdate RollingUpdateDeployment
RollingUpdateDeployment 1 maxUnavailable IntOrString; 2 maxSurge IntOrString
DeploymentStatus        1 observedGeneration int64; 2 replicas int32
    3 updatedReplicas int32; 4 availableReplicas int32; 5 unavailableReplicas int32
    6 conditions []DeploymentCondition; 7 readyReplicas int32; 8 collisionCount ?int32
    9 terminatingReplicas ?int32
DeploymentCondition     1 type; 2 status; 4 reason; 5 message; 6 lastUpdateTime Time
    7 lastTransitionTime Time
"""

_CORE: Final = """
# The kinds themselves.
Namespace               1 metadata ObjectMeta; 2 spec NamespaceSpec
    3 status NamespaceStatus
NamespaceSpec           1 finalizers []string
NamespaceStatus         1 phase; 2 conditions []NamespaceCondition
NamespaceCondition      1 type; 2 status; 4 lastTransitionTime Time; 5 reason
    6 message
ConfigMap               1 metadata ObjectMeta; 2 data map<string>
    3 binaryData map<bytes>; 4 immutable ?bool
Secret                  1 metadata ObjectMeta; 2 data map<bytes>; 3 type
    4 stringData map<string>; 5 immutable ?bool
ServiceAccount          1 metadata ObjectMeta; 2 secrets []ObjectReference
    3 imagePullSecrets []LocalObjectReference; 4 automountServiceAccountToken ?bool
Service                 1 metadata ObjectMeta; 2 spec ServiceSpec
    3 status ServiceStatus
# Services.
ServiceSpec             1 ports []ServicePort; 2 selector map<string>; 3 clusterIP
    4 type; 5 externalIPs []string; 7 sessionAffinity; 8 loadBalancerIP
    9 loadBalancerSourceRanges []string; 10 externalName; 11 externalTrafficPolicy
    12 healthCheckNodePort int32; 13 publishNotReadyAddresses bool
    14 sessionAffinityConfig SessionAffinityConfig; 17 ipFamilyPolicy ?string
    18 clusterIPs []string; 19 ipFamilies []string
    20 allocateLoadBalancerNodePorts ?bool; 21 loadBalancerClass ?string
    22 internalTrafficPolicy ?string; 23 trafficDistribution ?string
ServicePort             1 name; 2 protocol; 3 port int32; 4 targetPort IntOrString
    5 nodePort int32; 6 appProtocol ?string
SessionAffinityConfig   1 clientIP ClientIPConfig
ClientIPConfig          1 timeoutSeconds ?int32
ServiceStatus           1 loadBalancer LoadBalancerStatus; 2 conditions []Condition
LoadBalancerStatus      1 ingress []LoadBalancerIngress
LoadBalancerIngress     1 ip; 2 hostname; 3 ipMode ?string; 4 ports []PortStatus
PortStatus              1 port int32; 2 protocol; 3 error ?string
# References.
LocalObjectReference    1 name
ObjectReference         1 kind; 2 namespace; 3 name; 4 uid; 5 apiVersion
    6 resourceVersion; 7 fieldPath
# Pods, as templates.
PodTemplateSpec         1 metadata ObjectMeta; 2 spec PodSpec
PodSpec                 1 volumes []Volume; 2 containers []Container; 3 restartPolicy
    4 terminationGracePeriodSeconds ?int64; 5 activeDeadlineSeconds ?int64
    6 dnsPolicy; 7 nodeSelector map<string>; 8 serviceAccountName; 9 serviceAccount
    10 nodeName; 11 hostNetwork bool; 12 hostPID bool; 13 hostIPC bool
    14 securityContext PodSecurityContext; 15 imagePullSecrets []LocalObjectReference
    16 hostname; 17 subdomain; 18 affinity Affinity; 19 schedulerName
    20 initContainers []Container; 21 automountServiceAccountToken ?bool
    22 tolerations []Toleration; 23 hostAliases []HostAlias; 24 priorityClassName
    25 priority ?int32; 26 dnsConfig PodDNSConfig; 27 shareProcessNamespace ?bool
    28 readinessGates []PodReadinessGate; 29 runtimeClassName ?string
    30 enableServiceLinks ?bool; 31 preemptionPolicy ?string
    32 overhead map<Quantity>; 33 topologySpreadConstraints []TopologySpreadConstraint
    35 setHostnameAsFQDN ?bool; 36 os PodOS; 37 hostUsers ?bool
    38 schedulingGates []PodSchedulingGate; 39 resourceClaims []PodResourceClaim
    40 resources ResourceRequirements; 41 hostnameOverride ?string
PodSecurityContext      1 seLinuxOptions SELinuxOptions; 2 runAsUser ?int64
    3 runAsNonRoot ?bool; 4 supplementalGroups []int64; 5 fsGroup ?int64
    6 runAsGroup ?int64; 7 sysctls []Sysctl
    8 windowsOptions WindowsSecurityContextOptions; 9 fsGroupChangePolicy ?string
    10 seccompProfile SeccompProfile; 11 appArmorProfile AppArmorProfile
    12 supplementalGroupsPolicy ?string; 13 seLinuxChangePolicy ?string
SecurityContext         1 capabilities Capabilities; 2 privileged ?bool
    3 seLinuxOptions SELinuxOptions; 4 runAsUser ?int64; 5 runAsNonRoot ?bool
    6 readOnlyRootFilesystem ?bool; 7 allowPrivilegeEscalation ?bool
    8 runAsGroup ?int64; 9 procMount ?string
    10 windowsOptions WindowsSecurityContextOptions; 11 seccompProfile SeccompProfile
    12 appArmorProfile AppArmorProfile
Capabilities            1 add []string; 2 drop []string
SELinuxOptions          1 user; 2 role; 3 type; 4 level
WindowsSecurityContextOptions 1 gmsaCredentialSpecName ?string
    2 gmsaCredentialSpec ?string; 3 runAsUserName ?string; 4 hostProcess ?bool
SeccompProfile          1 type; 2 localhostProfile ?string
AppArmorProfile         1 type; 2 localhostProfile ?string
Sysctl                  1 name; 2 value
Toleration              1 key; 2 operator; 3 value; 4 effect
    5 tolerationSeconds ?int64
HostAlias               1 ip; 2 hostnames []string
PodDNSConfig            1 nameservers []string; 2 searches []string
    3 options []PodDNSConfigOption
PodDNSConfigOption      1 name; 2 value ?string
PodReadinessGate        1 conditionType
PodOS                   1 name
PodSchedulingGate       1 name
PodResourceClaim        1 name; 3 resourceClaimName ?string
    4 resourceClaimTemplateName ?string
TopologySpreadConstraint 1 maxSkew int32; 2 topologyKey; 3 whenUnsatisfiable
    4 labelSelector LabelSelector; 5 minDomains ?int32; 6 nodeAffinityPolicy ?string
    7 nodeTaintsPolicy ?string; 8 matchLabelKeys []string
# Scheduling constraints.
Affinity                1 nodeAffinity NodeAffinity; 2 podAffinity PodAffinity
    3 podAntiAffinity PodAffinity
NodeAffinity            1 requiredDuringSchedulingIgnoredDuringExecution NodeSelector
    2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm
NodeSelector            1 nodeSelectorTerms []NodeSelectorTerm
NodeSelectorTerm        1 matchExpressions []NodeSelectorRequirement
    2 matchFields []NodeSelectorRequirement
NodeSelectorRequirement 1 key; 2 operator; 3 values []string
PreferredSchedulingTerm 1 weight int32; 2 preference NodeSelectorTerm
# PodAffinity and PodAntiAffinity have the same fields; one entry serves both.
PodAffinity
    1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
    2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
PodAffinityTerm         1 labelSelector LabelSelector; 2 namespaces []string
    3 topologyKey; 4 namespaceSelector LabelSelector; 5 matchLabelKeys []string
    6 mismatchLabelKeys []string
WeightedPodAffinityTerm 1 weight int32; 2 podAffinityTerm PodAffinityTerm
# Containers.
Container               1 name; 2 image; 3 command []string; 4 args []string
    5 workingDir; 6 ports []ContainerPort; 7 env []EnvVar
    8 resources ResourceRequirements; 9 volumeMounts []VolumeMount
    10 livenessProbe Probe; 11 readinessProbe Probe; 12 lifecycle Lifecycle
    13 terminationMessagePath; 14 imagePullPolicy; 15 securityContext SecurityContext
    16 stdin bool; 17 stdinOnce bool; 18 tty bool; 19 envFrom []EnvFromSource
    20 terminationMessagePolicy; 21 volumeDevices []VolumeDevice
    22 startupProbe Probe; 23 resizePolicy []ContainerResizePolicy
    24 restartPolicy ?string; 25 restartPolicyRules []ContainerRestartRule
ContainerPort           1 name; 2 hostPort int32; 3 containerPort int32; 4 protocol
    5 hostIP
ContainerResizePolicy   1 resourceName; 2 restartPolicy
ContainerRestartRule    1 action; 2 exitCodes ContainerRestartRuleOnExitCodes
ContainerRestartRuleOnExitCodes 1 operator; 2 values []int32
EnvVar                  1 name; 2 value; 3 valueFrom EnvVarSource
EnvVarSource            1 fieldRef ObjectFieldSelector
    2 resourceFieldRef ResourceFieldSelector; 3 configMapKeyRef ConfigMapKeySelector
    4 secretKeyRef SecretKeySelector; 5 fileKeyRef FileKeySelector
ObjectFieldSelector     1 apiVersion; 2 fieldPath
ResourceFieldSelector   1 containerName; 2 resource; 3 divisor Quantity
ConfigMapKeySelector    1 ref ^LocalObjectReference; 2 key; 3 optional ?bool
SecretKeySelector       1 ref ^LocalObjectReference; 2 key; 3 optional ?bool
FileKeySelector         1 volumeName; 2 path; 3 key; 4 optional ?bool
EnvFromSource           1 prefix; 2 configMapRef ConfigMapEnvSource
    3 secretRef SecretEnvSource
ConfigMapEnvSource      1 ref ^LocalObjectReference; 2 optional ?bool
SecretEnvSource         1 ref ^LocalObjectReference; 2 optional ?bool
ResourceRequirements    1 limits map<Quantity>; 2 requests map<Quantity>
    3 claims []ResourceClaim
ResourceClaim           1 name; 2 request
VolumeMount             1 name; 2 readOnly bool; 3 mountPath; 4 subPath
    5 mountPropagation ?string; 6 subPathExpr; 7 recursiveReadOnly ?string
VolumeDevice            1 name; 2 devicePath
Probe                   1 handler ^ProbeHandler; 2 initialDelaySeconds int32
    3 timeoutSeconds int32; 4 periodSeconds int32; 5 successThreshold int32
    6 failureThreshold int32; 7 terminationGracePeriodSeconds ?int64
ProbeHandler            1 exec ExecAction; 2 httpGet HTTPGetAction
    3 tcpSocket TCPSocketAction; 4 grpc GRPCAction
ExecAction              1 command []string
HTTPGetAction           1 path; 2 port IntOrString; 3 host; 4 scheme
    5 httpHeaders []HTTPHeader
HTTPHeader              1 name; 2 value
TCPSocketAction         1 port IntOrString; 2 host
GRPCAction              1 port int32; 2 service ?string
Lifecycle               1 postStart LifecycleHandler; 2 preStop LifecycleHandler
    3 stopSignal ?string
LifecycleHandler        1 exec ExecAction; 2 httpGet HTTPGetAction
    3 tcpSocket TCPSocketAction; 4 sleep SleepAction
SleepAction             1 seconds int64
# Volumes: the sources a pod commonly names, not the cloud ones.
Volume                  1 name; 2 source ^VolumeSource
VolumeSource            1 hostPath HostPathVolumeSource
    2 emptyDir EmptyDirVolumeSource; 6 secret SecretVolumeSource
    7 nfs NFSVolumeSource; 10 persistentVolumeClaim PersistentVolumeClaimVolumeSource
    16 downwardAPI DownwardAPIVolumeSource; 19 configMap ConfigMapVolumeSource
    26 projected ProjectedVolumeSource; 28 csi CSIVolumeSource
    30 image ImageVolumeSource
HostPathVolumeSource    1 path; 2 type ?string
EmptyDirVolumeSource    1 medium; 2 sizeLimit Quantity
SecretVolumeSource      1 secretName; 2 items []KeyToPath; 3 defaultMode ?int32
    4 optional ?bool
ConfigMapVolumeSource   1 ref ^LocalObjectReference; 2 items []KeyToPath
    3 defaultMode ?int32; 4 optional ?bool
KeyToPath               1 key; 2 path; 3 mode ?int32
NFSVolumeSource         1 server; 2 path; 3 readOnly bool
PersistentVolumeClaimVolumeSource 1 claimName; 2 readOnly bool
DownwardAPIVolumeSource 1 items []DownwardAPIVolumeFile; 2 defaultMode ?int32
DownwardAPIVolumeFile   1 path; 2 fieldRef ObjectFieldSelector
    3 resourceFieldRef ResourceFieldSelector; 4 mode ?int32
ProjectedVolumeSource   1 sources []VolumeProjection; 2 defaultMode ?int32
VolumeProjection        1 secret SecretProjection; 2 downwardAPI DownwardAPIProjection
    3 configMap ConfigMapProjection
    4 serviceAccountToken ServiceAccountTokenProjection
SecretProjection        1 ref ^LocalObjectReference; 2 items []KeyToPath
    4 optional ?bool
ConfigMapProjection     1 ref ^LocalObjectReference; 2 items []KeyToPath
    4 optional ?bool
DownwardAPIProjection   1 items []DownwardAPIVolumeFile
ServiceAccountTokenProjection 1 audience; 2 expirationSeconds ?int64; 3 path
CSIVolumeSource         1 driver; 2 readOnly ?bool; 3 fsType ?string
    4 volumeAttributes map<string>; 5 nodePublishSecretRef LocalObjectReference
ImageVolumeSource       1 reference; 2 pullPolicy
"""

# The kinds read as protobuf, by (apiVersion, kind), and the message of each.
_KINDS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("apps/v1", "Deployment"): "Deployment",
}


# -- the compiled tables -----------------------------------------------------------


class _Kind(enum.Enum):
    STRING = "string"
    BYTES = "bytes"
    INT32 = "int32"
    INT64 = "int64"
    BOOL = "bool"
    MESSAGE = "message"


_VARINT_KINDS: Final = frozenset({_Kind.INT32, _Kind.INT64, _Kind.BOOL})


@dataclass(frozen=True, slots=True)
class _Field:
    """One field of a message; ``message`` is set only for ``_Kind.MESSAGE``."""

    name: str
    kind: _Kind
    message: str = ""
    repeated: bool = False
    mapped: bool = False
    # A Go pointer: present on the wire means set, so zero values are kept.
    optional: bool = False
    # A Go embedded struct: its fields land in the parent's JSON object.
    inline: bool = False


@dataclass(frozen=True, slots=True)
class _Message:
    short: str
    full_name: str
    fields: Mapping[int, _Field]


def _parse_field(spec: str) -> _Field:
    name, _, type_ = spec.partition(" ")
    type_ = type_ or "string"
    repeated = type_.startswith("[]")
    mapped = type_.startswith("map<") and type_.endswith(">")
    optional = type_.startswith("?")
    inline = type_.startswith("^")
    if repeated:
        type_ = type_[2:]
    elif mapped:
        type_ = type_[4:-1]
    elif optional or inline:
        type_ = type_[1:]
    try:
        kind = _Kind(type_)
    except ValueError:
        kind = _Kind.MESSAGE
    message = type_ if kind is _Kind.MESSAGE else ""
    return _Field(name, kind, message, repeated, mapped, optional, inline)


def _parse_table(package: str, text: str) -> Iterator[_Message]:
    """The messages of one table: a name at the start of a line, then its fields."""
    short, fields = "", dict[int, _Field]()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            if short:
                yield _Message(short, f"{package}.{short}", fields)
            short, _, line = line.partition(" ")
            fields = {}
        for entry in filter(None, (part.strip() for part in line.split(";"))):
            number, _, spec = entry.partition(" ")
            if int(number) in fields:
                raise RuntimeError(f"{short}: field {number} twice")
            fields[int(number)] = _parse_field(spec)
    if short:
        yield _Message(short, f"{package}.{short}", fields)


def _compile() -> dict[str, _Message]:
    """Every table parsed, and checked to name only messages that exist."""
    tables = [
        ("io.k8s.apimachinery.pkg.apis.meta.v1", _META),
        ("io.k8s.api.core.v1", _CORE),
        ("io.k8s.api.apps.v1", _APPS),
        *_WRAPPERS.items(),
    ]
    messages: dict[str, _Message] = {}
    for package, text in tables:
        for message in _parse_table(package, text):
            if message.short in messages:
                raise RuntimeError(f"message {message.short} twice")
            messages[message.short] = message
    for message in messages.values():
        for field in message.fields.values():
            if field.kind is _Kind.MESSAGE and field.message not in messages:
                raise RuntimeError(f"{message.full_name}: no message {field.message!r}")
    return messages


_MESSAGES: Final = _compile()


# -- the wire format ---------------------------------------------------------------

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5
_WIRE_NAMES: Final = {
    _VARINT: "varint",
    _FIXED64: "fixed64",
    _LEN: "length-delimited",
    _FIXED32: "fixed32",
}


@dataclass(frozen=True, slots=True)
class _Wire:
    """One field as read off the wire: a number for varint and fixed, else bytes."""

    number: int
    wire: int
    value: int = 0
    data: bytes = b""


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError(f"truncated varint in {where}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"varint longer than 10 bytes in {where}")


def _scan(data: bytes, where: str) -> Iterator[_Wire]:
    """The fields of one message, in wire order."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError(f"protobuf field number 0 in {where}")
        if wire == _VARINT:
            value, pos = _varint(data, pos, where)
            yield _Wire(number, wire, value=value)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > len(data):
                raise ProtobufError(f"truncated protobuf field {number} in {where}")
            value = int.from_bytes(data[pos : pos + size], "little")
            yield _Wire(number, wire, value=value)
            pos += size
        elif wire == _LEN:
            length, pos = _varint(data, pos, where)
            if pos + length > len(data):
                raise ProtobufError(f"truncated protobuf field {number} in {where}")
            yield _Wire(number, wire, data=data[pos : pos + length])
            pos += length
        else:
            raise ProtobufError(f"unsupported wire type {wire} for field {number} in {where}")


def _expect(item: _Wire, wire: int, name: str, where: str) -> None:
    if item.wire != wire:
        raise ProtobufError(
            f"protobuf field {item.number} ({name}) in {where} has wire type "
            f"{_WIRE_NAMES[item.wire]}, not {_WIRE_NAMES[wire]}"
        )


def _number(value: int, kind: _Kind) -> int | bool:
    """A varint as Go reads it into a bool, an int32 or an int64."""
    if kind is _Kind.BOOL:
        return value != 0
    bits = 32 if kind is _Kind.INT32 else 64
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _text(data: bytes, name: str, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtobufError(f"{name} in {where} is not valid UTF-8") from err


# -- decoding ----------------------------------------------------------------------

# Returned by ``_value`` for a zero that JSON's omitempty would leave out.
_OMIT: Final = object()


def _decode(data: bytes, message: _Message) -> dict[str, Any]:
    where = message.full_name
    out: dict[str, Any] = {}
    for item in _scan(data, where):
        field = message.fields.get(item.number)
        if field is None:
            raise UnsupportedProtobufError(f"unsupported protobuf field {item.number} in {where}")
        if field.mapped:
            _expect(item, _LEN, field.name, where)
            key, value = _map_entry(item.data, field, where)
            out.setdefault(field.name, {})[key] = value
        elif field.inline:
            _expect(item, _LEN, field.name, where)
            out.update(_decode(item.data, _MESSAGES[field.message]))
        elif field.repeated:
            out.setdefault(field.name, []).extend(_repeated(item, field, where))
        else:
            value = _value(item, field, where)
            if value is _OMIT:
                out.pop(field.name, None)
            elif isinstance(value, dict) and isinstance(out.get(field.name), dict):
                out[field.name].update(value)  # a message sent in parts merges
            else:
                out[field.name] = value
    return out


def _repeated(item: _Wire, field: _Field, where: str) -> list[Any]:
    if field.kind not in _VARINT_KINDS or item.wire != _LEN:
        value = _value(item, field, where, keep_zero=True)
        return [] if value is _OMIT else [value]
    # A packed run of varints, which proto2 writers may also send.
    packed: list[Any] = []
    pos = 0
    while pos < len(item.data):
        value, pos = _varint(item.data, pos, f"{field.name} in {where}")
        packed.append(_number(value, field.kind))
    return packed


def _map_entry(data: bytes, field: _Field, where: str) -> tuple[str, Any]:
    entry = f"an entry of {field.name} in {where}"
    key, value = "", _Wire(2, _LEN)  # an absent value is the type's zero
    for item in _scan(data, entry):
        if item.number == 1:
            _expect(item, _LEN, "key", entry)
            key = _text(item.data, "key", entry)
        elif item.number == 2:
            value = item
        else:
            raise ProtobufError(f"protobuf field {item.number} in {entry}")
    return key, _value(value, field, entry, keep_zero=True)


def _value(item: _Wire, field: _Field, where: str, *, keep_zero: bool = False) -> Any:
    """One value as JSON has it, or ``_OMIT`` for a zero JSON would leave out."""
    keep_zero = keep_zero or field.optional
    if field.kind in _VARINT_KINDS:
        _expect(item, _VARINT, field.name, where)
        number = _number(item.value, field.kind)
        return number if number or keep_zero else _OMIT
    _expect(item, _LEN, field.name, where)
    if field.kind is _Kind.STRING:
        text = _text(item.data, field.name, where)
        return text if text or keep_zero else _OMIT
    if field.kind is _Kind.BYTES:
        return base64.b64encode(item.data).decode("ascii")
    message = _MESSAGES[field.message]
    decoded = _decode(item.data, message)
    to_json = _SCALAR_MESSAGES.get(message.short)
    if to_json is None:
        return decoded
    value = to_json(decoded, where)
    return _OMIT if value is None else value


def _quantity(value: dict[str, Any], where: str) -> str:
    return str(value.get("string", "0"))


def _int_or_string(value: dict[str, Any], where: str) -> int | str:
    if value.get("type", 0) == 1:
        return str(value.get("strVal", ""))
    return int(value.get("intVal", 0))


# Go's zero time, which metav1.Time sends as an empty message and JSON as null.
_GO_ZERO_SECONDS: Final = -62_135_596_800
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: dict[str, Any], where: str) -> str | None:
    """RFC 3339 in whole seconds and UTC, as metav1.Time writes JSON; None if zero."""
    seconds = value.get("seconds")
    if seconds is None or seconds == _GO_ZERO_SECONDS:
        return None
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError as err:
        raise ProtobufError(f"timestamp {seconds} out of range in {where}") from err
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _fields_v1(value: dict[str, Any], where: str) -> Any:
    raw = base64.b64decode(value.get("Raw", ""))
    try:
        return json.loads(raw) if raw else {}
    except ValueError as err:
        raise ProtobufError(f"fieldsV1 in {where} is not JSON: {err}") from err


_SCALAR_MESSAGES: Final[dict[str, Callable[[dict[str, Any], str], Any]]] = {
    "Quantity": _quantity,
    "IntOrString": _int_or_string,
    "Time": _time,
    "FieldsV1": _fields_v1,
}


# -- the envelope ------------------------------------------------------------------

_ENVELOPE_FIELDS: Final = {
    1: "typeMeta",
    2: "raw",
    3: "contentEncoding",
    4: "contentType",
}


def decode_object(body: bytes) -> dict[str, Any]:
    """The JSON-shaped object a Kubernetes protobuf body carries.

    ``apiVersion`` and ``kind`` come from the envelope, the rest from the
    object's own message. Raises ``ProtobufError`` for a malformed body and
    ``UnsupportedProtobufError`` for a kind or field outside the tables.
    """
    if not body.startswith(_MAGIC):
        raise ProtobufError("protobuf body does not start with the magic bytes k8s\\x00")
    envelope = "the protobuf envelope (runtime.Unknown)"
    api_version = kind = encoding = content_type = ""
    raw = b""
    for item in _scan(body[len(_MAGIC) :], envelope):
        name = _ENVELOPE_FIELDS.get(item.number)
        if name is None:
            raise ProtobufError(f"protobuf field {item.number} in {envelope}")
        _expect(item, _LEN, name, envelope)
        if item.number == 1:
            api_version, kind = _type_meta(item.data)
        elif item.number == 2:
            raw = item.data
        elif item.number == 3:
            encoding = _text(item.data, name, envelope)
        else:
            content_type = _text(item.data, name, envelope)
    if encoding:
        raise UnsupportedProtobufError(f"protobuf content encoding {encoding!r} is not supported")
    if content_type not in ("", PROTOBUF):
        raise UnsupportedProtobufError(f"protobuf content type {content_type!r} is not supported")
    if not kind or not api_version:
        raise ProtobufError("protobuf body does not name its apiVersion and kind")
    message = _message_for(api_version, kind)
    return {"kind": kind, "apiVersion": api_version, **_decode(raw, message)}


def _type_meta(data: bytes) -> tuple[str, str]:
    where = "the protobuf type meta"
    found = {1: "", 2: ""}
    for item in _scan(data, where):
        if item.number not in found:
            raise ProtobufError(f"protobuf field {item.number} in {where}")
        name = "apiVersion" if item.number == 1 else "kind"
        _expect(item, _LEN, name, where)
        found[item.number] = _text(item.data, name, where)
    return found[1], found[2]


def _message_for(api_version: str, kind: str) -> _Message:
    short = _KINDS.get((api_version, kind))
    if short is not None:
        return _MESSAGES[short]
    served = [version for version, known in _KINDS if known == kind]
    if served:
        raise UnsupportedProtobufError(
            f'kind "{kind}" is accepted as protobuf only in {served[0]}, '
            f"not {api_version}; send JSON"
        )
    raise UnsupportedProtobufError(f'kind "{kind}" is not accepted as protobuf; send JSON')
