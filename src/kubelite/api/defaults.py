"""Server-side defaults for the built-in types, as Kubernetes fills them on write.

Kubernetes decodes every body it is sent (create, update, patch) into its Go
types and runs the type's defaulting functions on it before validation, so what
it stores, and what ``kubectl get -o yaml`` prints, carries fields nobody sent.
``apply_defaults`` does the same to a decoded JSON body, in place.

**What counts as absent.** Kubernetes can only tell a field is missing by its Go
zero value, so the rule depends on the field's Go type, and this module follows
it::

    field (example)                  Go type   unset when it is
    restartPolicy                    string    "", null or absent
    probe timeoutSeconds             int32     0, null or absent
    terminationGracePeriodSeconds    *int64    null or absent (a sent 0 stays)

A value of the wrong JSON type is never touched, and a part that is not the
shape Kubernetes expects (``containers`` not a list, a port not an object) is
skipped: validation reports those, and nothing here raises.

**A worked example.** A pod sent as::

    {"spec": {"containers": [{"name": "web", "image": "nginx",
                              "ports": [{"containerPort": 80}]}]}}

is stored with, besides what was sent::

    spec.restartPolicy "Always", dnsPolicy "ClusterFirst", schedulerName
    "default-scheduler", terminationGracePeriodSeconds 30, securityContext {},
    enableServiceLinks true, priority 0, preemptionPolicy "PreemptLowerPriority"
    containers[0]: imagePullPolicy "Always" (no tag reads as ":latest"),
    terminationMessagePath "/dev/termination-log", terminationMessagePolicy
    "File", resources {}, ports[0].protocol "TCP"

**Where each default comes from.** Most are Kubernetes' ``SetDefaults_*``
functions for core/v1 and apps/v1 (and the ``+default`` markers on the types).
Pod specs are defaulted wherever they appear; ``SetDefaults_Pod`` adds a few
that only a Pod gets, never a template (requests copied from limits,
``enableServiceLinks``, host ports under ``hostNetwork``). Three defaults come
from elsewhere in the API server and are here because they are deterministic:
a pod's ``priority`` and ``preemptionPolicy`` (the Priority admission plugin,
when no PriorityClass names other values), a Service's ``ipFamilyPolicy`` and
``ipFamilies`` (the service registry, on a single-stack IPv4 cluster), and
``resources: {}`` on a container, which Go prints because the field is a struct.

One default removes rather than fills: a Service whose ``sessionAffinity`` is
``None`` loses any ``sessionAffinityConfig`` it was sent, as in Kubernetes.

Not done here: cluster IP and node port allocation, status (but for a load
balancer ingress's ``ipMode``), the namespace name label, the admission plugins
that need cluster state (service account and token volume, tolerations), and
the arithmetic on quantities (rounding to milli-units, pod-level resources).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, Final, TypeGuard

from kubelite.api.crd.names import apply_definition_defaults
from kubelite.api.images import pull_policy

# The one address family of kubelite's service network.
SERVICE_IP_FAMILY: Final = "IPv4"

_CONTAINER_LISTS: Final = ("initContainers", "containers", "ephemeralContainers")
_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")

# Every member of a volume's source, by kind; a volume that sets none of them is
# an emptyDir.
_NODE_SOURCES: Final = ("emptyDir", "hostPath", "gitRepo", "image")
_API_SOURCES: Final = ("secret", "configMap", "downwardAPI", "projected")
_CLAIM_SOURCES: Final = ("persistentVolumeClaim", "ephemeral", "csi", "flexVolume")
_NETWORK_SOURCES: Final = ("nfs", "iscsi", "fc", "rbd", "cephfs", "glusterfs", "quobyte")
_VENDOR_SOURCES: Final = ("flocker", "storageos", "scaleIO", "portworxVolume", "cinder")
_CLOUD_SOURCES: Final = ("gcePersistentDisk", "awsElasticBlockStore", "azureDisk", "azureFile")
_VMWARE_SOURCES: Final = ("vsphereVolume", "photonPersistentDisk")
_VOLUME_SOURCES: Final = (
    *_NODE_SOURCES,
    *_API_SOURCES,
    *_CLAIM_SOURCES,
    *_NETWORK_SOURCES,
    *_VENDOR_SOURCES,
    *_CLOUD_SOURCES,
    *_VMWARE_SOURCES,
)
_VOLUME_SOURCE_SET: Final = frozenset(_VOLUME_SOURCES)
# 0644, the mode of files projected from secrets, config maps and the API.
_DEFAULT_FILE_MODE: Final = 0o644

# The PriorityClasses every cluster has; any other name needs a lookup.
_SYSTEM_PRIORITIES: Final = {
    "system-node-critical": 2000001000,
    "system-cluster-critical": 2000000000,
}


def apply_defaults(group: str, plural: str, obj: dict[str, Any]) -> None:
    """Fill the defaults Kubernetes gives an object of ``group``/``plural``.

    ``group`` is "" for the core group. Types without defaults here are left
    alone, and so is anything that is not shaped as Kubernetes expects.
    """
    defaulter = _DEFAULTERS.get((group, plural))
    if defaulter is not None and isinstance(obj, dict):
        defaulter(obj)


# -- absent values by Go type -----------------------------------------------------------


def _set_string(obj: dict[str, Any], key: str, value: str) -> None:
    """Default a Go string: "", null and absent all read as unset."""
    current = obj.get(key)
    if current is None or current == "":
        obj[key] = value


def _set_int(obj: dict[str, Any], key: str, value: int) -> None:
    """Default a Go integer that is not a pointer: 0 reads as unset too."""
    current = obj.get(key)
    if current is None or (type(current) is int and current == 0):
        obj[key] = value


def _set_pointer(obj: dict[str, Any], key: str, value: Any) -> None:
    """Default a Go pointer (or a struct or map): only null and absent are unset."""
    if obj.get(key) is None:
        obj[key] = value


def _child(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    """``obj[key]``, made ``{}`` when absent or null; None when not an object.

    For a struct that Kubernetes defaults into whether or not it was sent.
    """
    value = obj.get(key)
    if value is None:
        value = obj[key] = {}
    return value if isinstance(value, dict) else None


def _present(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    """``obj[key]`` if it was sent as an object (a set pointer), else None."""
    value = obj.get(key)
    return value if isinstance(value, dict) else None


def _items(obj: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    """The objects in the list ``obj[key]``, skipping anything else."""
    value = obj.get(key)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def _is_int(value: object) -> TypeGuard[int]:
    """An integer, and not a bool (which Python counts as one)."""
    return type(value) is int


# -- pods and pod templates -------------------------------------------------------------


def _default_pod(pod: dict[str, Any]) -> None:
    spec = _child(pod, "spec")
    if spec is None:
        return
    _default_pod_only(spec)
    _default_pod_spec(spec)


def _default_pod_only(spec: dict[str, Any]) -> None:
    """What a Pod gets and a pod template does not (``SetDefaults_Pod``)."""
    containers = list(chain(_items(spec, "containers"), _items(spec, "initContainers")))
    for container in containers:
        _default_requests_from_limits(container)
    _set_pointer(spec, "enableServiceLinks", True)

    # With the host's network, a container port is also a port on the host.
    if spec.get("hostNetwork") is True:
        for container in containers:
            for port in _items(container, "ports"):
                container_port = port.get("containerPort")
                if _is_int(container_port) and container_port != 0:
                    _set_int(port, "hostPort", container_port)

    _default_priority(spec)


def _default_requests_from_limits(container: dict[str, Any]) -> None:
    """A resource with a limit and no request gets the limit as its request."""
    resources = _present(container, "resources")
    limits = resources.get("limits") if resources is not None else None
    if resources is None or not isinstance(limits, dict) or not limits:
        return
    requests = _child(resources, "requests")
    if requests is None:
        return
    for name, quantity in limits.items():
        requests.setdefault(name, quantity)


def _default_priority(spec: dict[str, Any]) -> None:
    """The Priority admission plugin's answer when it needs no lookup."""
    class_name = spec.get("priorityClassName")
    if class_name is None or class_name == "":
        # No class and, in kubelite, no global default class.
        priority = 0
    elif isinstance(class_name, str) and class_name in _SYSTEM_PRIORITIES:
        priority = _SYSTEM_PRIORITIES[class_name]
    else:
        # TODO(#8): user PriorityClasses, once the scheduler serves them.
        return
    _set_pointer(spec, "priority", priority)
    _set_pointer(spec, "preemptionPolicy", "PreemptLowerPriority")


def _default_pod_spec(spec: dict[str, Any]) -> None:
    """A pod spec, in a Pod or in a template (``SetDefaults_PodSpec`` and below)."""
    _set_string(spec, "dnsPolicy", "ClusterFirst")
    _set_string(spec, "restartPolicy", "Always")
    _set_pointer(spec, "securityContext", {})
    _set_pointer(spec, "terminationGracePeriodSeconds", 30)
    _set_string(spec, "schedulerName", "default-scheduler")
    for volume in _items(spec, "volumes"):
        _default_volume(volume)
    for key in _CONTAINER_LISTS:
        for container in _items(spec, key):
            _default_container(container)


def _default_container(container: dict[str, Any]) -> None:
    if container.get("imagePullPolicy") in (None, ""):
        image = container.get("image")
        if image is None or isinstance(image, str):
            container["imagePullPolicy"] = pull_policy(image or "")
    _set_string(container, "terminationMessagePath", "/dev/termination-log")
    _set_string(container, "terminationMessagePolicy", "File")
    _set_pointer(container, "resources", {})

    for port in _items(container, "ports"):
        _set_string(port, "protocol", "TCP")
    for env in _items(container, "env"):
        value_from = _present(env, "valueFrom")
        if value_from is not None:
            _default_field_ref(value_from)

    for key in _PROBES:
        probe = _present(container, key)
        if probe is not None:
            _default_probe(probe)
    lifecycle = _present(container, "lifecycle")
    if lifecycle is not None:
        for hook in ("postStart", "preStop"):
            handler = _present(lifecycle, hook)
            http_get = _present(handler, "httpGet") if handler is not None else None
            if http_get is not None:
                _default_http_get(http_get)


def _default_probe(probe: dict[str, Any]) -> None:
    _set_int(probe, "timeoutSeconds", 1)
    _set_int(probe, "periodSeconds", 10)
    _set_int(probe, "successThreshold", 1)
    _set_int(probe, "failureThreshold", 3)
    http_get = _present(probe, "httpGet")
    if http_get is not None:
        _default_http_get(http_get)
    grpc = _present(probe, "grpc")
    if grpc is not None:
        _set_pointer(grpc, "service", "")


def _default_http_get(action: dict[str, Any]) -> None:
    _set_string(action, "path", "/")
    _set_string(action, "scheme", "HTTP")


def _default_field_ref(holder: dict[str, Any]) -> None:
    """The ``fieldRef`` of an env var or a downward API item names v1 by default."""
    field_ref = _present(holder, "fieldRef")
    if field_ref is not None:
        _set_string(field_ref, "apiVersion", "v1")


def _default_volume(volume: dict[str, Any]) -> None:
    sources = volume.keys() & _VOLUME_SOURCE_SET
    if all(volume[key] is None for key in sources):
        volume["emptyDir"] = {}
    # Each source that has defaults of its own: only those the volume names.
    for key in sources & _SOURCE_DEFAULTERS.keys():
        source = volume[key]
        if isinstance(source, dict):
            _SOURCE_DEFAULTERS[key](source)


def _default_image_source(image: dict[str, Any]) -> None:
    if image.get("pullPolicy") in (None, ""):
        reference = image.get("reference")
        if reference is None or isinstance(reference, str):
            image["pullPolicy"] = pull_policy(reference or "")


def _default_host_path(host_path: dict[str, Any]) -> None:
    _set_pointer(host_path, "type", "")


def _default_file_source(source: dict[str, Any]) -> None:
    """A secret or config map volume."""
    _set_pointer(source, "defaultMode", _DEFAULT_FILE_MODE)


def _default_downward_api(downward: dict[str, Any]) -> None:
    _set_pointer(downward, "defaultMode", _DEFAULT_FILE_MODE)
    for item in _items(downward, "items"):
        _default_field_ref(item)


def _default_iscsi(iscsi: dict[str, Any]) -> None:
    _set_string(iscsi, "iscsiInterface", "default")


def _default_rbd(rbd: dict[str, Any]) -> None:
    _set_string(rbd, "pool", "rbd")
    _set_string(rbd, "user", "admin")
    _set_string(rbd, "keyring", "/etc/ceph/keyring")


def _default_azure_disk(azure: dict[str, Any]) -> None:
    _set_pointer(azure, "cachingMode", "ReadWrite")
    _set_pointer(azure, "kind", "Shared")
    _set_pointer(azure, "fsType", "ext4")
    _set_pointer(azure, "readOnly", False)


def _default_scale_io(scale_io: dict[str, Any]) -> None:
    _set_string(scale_io, "storageMode", "ThinProvisioned")
    _set_string(scale_io, "fsType", "xfs")


def _default_ephemeral(ephemeral: dict[str, Any]) -> None:
    claim = _present(ephemeral, "volumeClaimTemplate")
    claim_spec = _present(claim, "spec") if claim is not None else None
    if claim_spec is not None:
        _set_pointer(claim_spec, "volumeMode", "Filesystem")


def _default_projected(projected: dict[str, Any]) -> None:
    _set_pointer(projected, "defaultMode", _DEFAULT_FILE_MODE)
    for source in _items(projected, "sources"):
        if (downward := _present(source, "downwardAPI")) is not None:
            for item in _items(downward, "items"):
                _default_field_ref(item)
        if (token := _present(source, "serviceAccountToken")) is not None:
            _set_pointer(token, "expirationSeconds", 3600)


_SOURCE_DEFAULTERS: Final[dict[str, Callable[[dict[str, Any]], None]]] = {
    "image": _default_image_source,
    "hostPath": _default_host_path,
    "secret": _default_file_source,
    "configMap": _default_file_source,
    "downwardAPI": _default_downward_api,
    "projected": _default_projected,
    "iscsi": _default_iscsi,
    "rbd": _default_rbd,
    "azureDisk": _default_azure_disk,
    "scaleIO": _default_scale_io,
    "ephemeral": _default_ephemeral,
}


def _default_template(spec: dict[str, Any]) -> None:
    """The pod template of a workload. Its metadata gets nothing."""
    template = _child(spec, "template")
    pod_spec = _child(template, "spec") if template is not None else None
    if pod_spec is not None:
        _default_pod_spec(pod_spec)


# -- workloads --------------------------------------------------------------------------


def _default_deployment(deployment: dict[str, Any]) -> None:
    spec = _child(deployment, "spec")
    if spec is None:
        return
    _set_pointer(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    if strategy is not None:
        _set_string(strategy, "type", "RollingUpdate")
        if strategy.get("type") == "RollingUpdate":
            rolling_update = _child(strategy, "rollingUpdate")
            if rolling_update is not None:
                _set_pointer(rolling_update, "maxUnavailable", "25%")
                _set_pointer(rolling_update, "maxSurge", "25%")
    _set_pointer(spec, "revisionHistoryLimit", 10)
    _set_pointer(spec, "progressDeadlineSeconds", 600)
    _default_template(spec)


def _default_replica_set(replica_set: dict[str, Any]) -> None:
    spec = _child(replica_set, "spec")
    if spec is None:
        return
    _set_pointer(spec, "replicas", 1)
    _default_template(spec)


# -- services, endpoints, secrets -------------------------------------------------------


def _default_service(service: dict[str, Any]) -> None:
    spec = _child(service, "spec")
    if spec is None:
        return

    _set_string(spec, "sessionAffinity", "None")
    affinity = spec.get("sessionAffinity")
    if affinity == "None":
        spec.pop("sessionAffinityConfig", None)
    elif affinity == "ClientIP":
        config = _child(spec, "sessionAffinityConfig")
        client_ip = _child(config, "clientIP") if config is not None else None
        if client_ip is not None:
            _set_pointer(client_ip, "timeoutSeconds", 10800)

    _set_string(spec, "type", "ClusterIP")
    kind = spec.get("type")
    for port in _items(spec, "ports"):
        _set_string(port, "protocol", "TCP")
        target = port.get("targetPort")
        unset = target is None or target == "" or (_is_int(target) and target == 0)
        if unset and _is_int(port.get("port")):
            port["targetPort"] = port["port"]

    external_ips = spec.get("externalIPs")
    has_external_ips = isinstance(external_ips, list) and len(external_ips) > 0
    if kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and has_external_ips):
        _set_string(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        _set_pointer(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _set_pointer(spec, "allocateLoadBalancerNodePorts", True)
        _default_load_balancer_status(service)
    if kind != "ExternalName":
        _default_ip_families(spec)


def _default_load_balancer_status(service: dict[str, Any]) -> None:
    status = _present(service, "status")
    load_balancer = _present(status, "loadBalancer") if status is not None else None
    if load_balancer is None:
        return
    for ingress in _items(load_balancer, "ingress"):
        if ingress.get("ip") not in (None, "") and ingress.get("ipMode") is None:
            ingress["ipMode"] = "VIP"


def _default_ip_families(spec: dict[str, Any]) -> None:
    """The service registry's choice of address families, on a single-stack cluster.

    A headless service without a selector is RequireDualStack and lists both
    families (its DNS records need no cluster IP); any other service is
    SingleStack. Families follow the cluster IPs that were asked for, and
    otherwise the cluster's family.
    """
    cluster_ips = spec.get("clusterIPs")
    if not isinstance(cluster_ips, list) or not cluster_ips:
        cluster_ip = spec.get("clusterIP")
        cluster_ips = [cluster_ip] if isinstance(cluster_ip, str) and cluster_ip else []
    selector = spec.get("selector")
    headless = cluster_ips[:1] == ["None"]
    selectorless = not isinstance(selector, dict) or not selector

    if spec.get("ipFamilyPolicy") is None:
        both = headless and selectorless
        spec["ipFamilyPolicy"] = "RequireDualStack" if both else "SingleStack"
    families = spec.get("ipFamilies")
    if families is None:
        families = []
    if not isinstance(families, list):
        return

    inferred = list(families)
    for index, ip in enumerate(cluster_ips):
        family = _ip_family(ip)
        if family is None:
            break
        if index >= len(inferred):
            inferred.append(family)
    if not inferred:
        inferred.append(SERVICE_IP_FAMILY)
    dual = spec.get("ipFamilyPolicy") != "SingleStack"
    if headless and selectorless and dual and len(inferred) == 1:
        inferred.append("IPv6" if inferred[0] == "IPv4" else "IPv4")
    if inferred != families or spec.get("ipFamilies") is None:
        spec["ipFamilies"] = inferred


def _ip_family(ip: Any) -> str | None:
    """The family of an address, "IPv4" or "IPv6"; None if it is not one."""
    if not isinstance(ip, str):
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    return "IPv4" if address.version == 4 else "IPv6"


def _default_endpoints(endpoints: dict[str, Any]) -> None:
    for subset in _items(endpoints, "subsets"):
        for port in _items(subset, "ports"):
            _set_string(port, "protocol", "TCP")


def _default_secret(secret: dict[str, Any]) -> None:
    _set_string(secret, "type", "Opaque")


_DEFAULTERS: Final[dict[tuple[str, str], Callable[[dict[str, Any]], None]]] = {
    ("", "pods"): _default_pod,
    ("", "services"): _default_service,
    ("", "endpoints"): _default_endpoints,
    ("", "secrets"): _default_secret,
    ("apps", "deployments"): _default_deployment,
    ("apps", "replicasets"): _default_replica_set,
    ("apiextensions.k8s.io", "customresourcedefinitions"): apply_definition_defaults,
}
