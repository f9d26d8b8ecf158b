"""The protobuf messages kubelite reads, restated from Kubernetes' ``generated.proto``.

A message name at the start of a line, then ``number jsonName TYPE`` entries
split by ``;`` (see :mod:`kubelite.api.protobuf` for the TYPE notation). Only
the fields listed here are read; a body with another is refused with a 415 that
names it, so a client can send JSON instead.
"""

from __future__ import annotations

from typing import Final

# -- the messages ------------------------------------------------------------------

META: Final = """
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
WRAPPERS: Final = {
    "io.k8s.apimachinery.pkg.api.resource": "Quantity                1 string",
    "io.k8s.apimachinery.pkg.util.intstr": (
        "IntOrString             1 type int64; 2 intVal int32; 3 strVal"
    ),
}

APPS: Final = """
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

CORE: Final = """
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
KINDS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("apps/v1", "Deployment"): "Deployment",
}
