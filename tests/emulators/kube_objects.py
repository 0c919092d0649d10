"""Builders for realistic, schema-valid Kubernetes objects as an AKS API server returns them.

Every builder returns a plain dict with `apiVersion`, `kind`, `metadata`, `spec` and, where the
cluster fills one in, `status`. The objects deserialise into the `kubernetes` client's models,
whose required fields are validated, so they can be served by `KubeApiEmulator` as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

Obj = dict[str, Any]

NAMESPACE = "msft-agent"
APP = "msft-agent"
AGENT_IMAGE = "acrmsftagentprod.azurecr.io/msft-agent:1.8.3"
AGENT_IMAGE_ID = (
    "acrmsftagentprod.azurecr.io/msft-agent@sha256:"
    "4f2b8c1d9e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c"
)
CREATED = "2024-05-14T09:30:00Z"
STARTED = "2024-05-14T09:31:12Z"
ZONES = ("westeurope-1", "westeurope-2", "westeurope-3")
FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def uid_for(kind: str, namespace: str | None, name: str) -> str:
    """A stable uid, so owner references can point at objects built separately."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{namespace or ''}/{name}"))


def app_labels(name: str = APP) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "msft-agent"}


def metadata(
    kind: str,
    name: str,
    namespace: str | None,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owner: Obj | None = None,
    generation: int | None = None,
) -> Obj:
    meta: Obj = {
        "name": name,
        "uid": uid_for(kind, namespace, name),
        "creationTimestamp": CREATED,
    }
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    if generation is not None:
        meta["generation"] = generation
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return meta


def condition(kind: str, status: bool, reason: str = "", message: str = "") -> Obj:
    """A `metav1.Condition` (PDB, HPA v2 use the newer shape with required fields)."""
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason or kind,
        "message": message,
        "lastTransitionTime": CREATED,
    }


def container(
    name: str = "agent",
    image: str = AGENT_IMAGE,
    *,
    port: int = 8000,
    cpu: str = "500m",
    memory: str = "1Gi",
    probes: bool = True,
    env: Mapping[str, str] | None = None,
) -> Obj:
    spec: Obj = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [{"name": key, "value": value} for key, value in (env or {}).items()],
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if probes:
        spec["livenessProbe"] = _http_probe("/health/live")
        spec["readinessProbe"] = _http_probe("/health/ready")
        spec["startupProbe"] = _http_probe("/health/live", failure_threshold=30)
    return spec


def _http_probe(path: str, *, failure_threshold: int = 3) -> Obj:
    return {
        "httpGet": {"path": path, "port": "http", "scheme": "HTTP"},
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "successThreshold": 1,
        "failureThreshold": failure_threshold,
    }


def pod_spec(containers: Sequence[Obj], *, service_account: str = APP) -> Obj:
    return {
        "containers": [dict(c) for c in containers],
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
    }


def pod_template(labels: Mapping[str, str], containers: Sequence[Obj], **spec: Any) -> Obj:
    template_spec = pod_spec(containers, **spec)
    template_spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(labels)},
        }
    ]
    return {"metadata": {"labels": dict(labels)}, "spec": template_spec}


def deployment(
    name: str = APP,
    namespace: str = NAMESPACE,
    *,
    replicas: int = 3,
    ready_replicas: int | None = None,
    containers: Sequence[Obj] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Obj:
    labels = dict(labels or app_labels(name))
    ready = replicas if ready_replicas is None else ready_replicas
    result: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(
            "Deployment",
            name,
            namespace,
            labels=labels,
            annotations={"deployment.kubernetes.io/revision": "3"},
            generation=3,
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": pod_template(labels, containers or [container()]),
        },
        "status": {
            "observedGeneration": 3,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                _workload_condition("Available", ready > 0, "MinimumReplicasAvailable"),
                _workload_condition("Progressing", True, "NewReplicaSetAvailable"),
            ],
        },
    }
    if ready < replicas:
        result["status"]["unavailableReplicas"] = replicas - ready
    return result


def _workload_condition(kind: str, status: bool, reason: str) -> Obj:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": f"{kind} {reason}",
        "lastUpdateTime": CREATED,
        "lastTransitionTime": CREATED,
    }


def replica_set(owner: Obj, pod_template_hash: str = "7d9f8c6b5d") -> Obj:
    """The current ReplicaSet of a Deployment built by `deployment()`."""
    name = f"{owner['metadata']['name']}-{pod_template_hash}"
    namespace = owner["metadata"]["namespace"]
    template = {**owner["spec"]["template"]}
    labels = {**template["metadata"]["labels"], "pod-template-hash": pod_template_hash}
    template["metadata"] = {"labels": labels}
    replicas = owner["spec"]["replicas"]
    ready = owner["status"]["readyReplicas"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": metadata(
            "ReplicaSet",
            name,
            namespace,
            labels=labels,
            annotations={"deployment.kubernetes.io/revision": "3"},
            owner=owner,
            generation=1,
        ),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": {
            "replicas": replicas,
            "fullyLabeledReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": 1,
        },
    }


def pod(
    owner: Obj,
    suffix: str,
    *,
    node_name: str = "aks-agentpool-31207608-vmss000000",
    ready: bool = True,
    restart_count: int = 0,
    waiting_reason: str | None = None,
    last_terminated_reason: str | None = None,
) -> Obj:
    """A Pod of a ReplicaSet/StatefulSet/DaemonSet, scheduled on `node_name`.

    `waiting_reason="CrashLoopBackOff"` gives a not-ready pod whose containers are waiting;
    `last_terminated_reason="OOMKilled"` records the previous container termination.
    """
    namespace = owner["metadata"]["namespace"]
    name = f"{owner['metadata']['name']}-{suffix}"
    template = owner["spec"]["template"]
    spec = {**template["spec"], "nodeName": node_name}
    running = ready and waiting_reason is None
    statuses = [
        _container_status(c, ready=running, restart_count=restart_count,
                          waiting_reason=waiting_reason,
                          last_terminated_reason=last_terminated_reason)
        for c in spec["containers"]
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            **metadata("Pod", name, namespace, labels=template["metadata"]["labels"], owner=owner),
            "generateName": f"{owner['metadata']['name']}-",
        },
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [
                _pod_condition("PodReadyToStartContainers", True),
                _pod_condition("Initialized", True),
                _pod_condition("Ready", running, None if running else "ContainersNotReady"),
                _pod_condition("ContainersReady", running, None if running else "ContainersNotReady"),
                _pod_condition("PodScheduled", True),
            ],
            "hostIP": "10.224.0.4",
            "hostIPs": [{"ip": "10.224.0.4"}],
            "podIP": "10.244.1.23",
            "podIPs": [{"ip": "10.244.1.23"}],
            "startTime": STARTED,
            "qosClass": "Burstable",
            "containerStatuses": statuses,
        },
    }


def _pod_condition(kind: str, status: bool, reason: str | None = None) -> Obj:
    result: Obj = {
        "type": kind,
        "status": "True" if status else "False",
        "lastProbeTime": None,
        "lastTransitionTime": STARTED,
    }
    if reason:
        result["reason"] = reason
    return result


def _container_status(
    spec: Obj,
    *,
    ready: bool,
    restart_count: int,
    waiting_reason: str | None,
    last_terminated_reason: str | None,
) -> Obj:
    if waiting_reason:
        state: Obj = {"waiting": {"reason": waiting_reason,
                                  "message": f"back-off 5m0s restarting failed container={spec['name']}"}}
    else:
        state = {"running": {"startedAt": STARTED}}
    last_state: Obj = {}
    if last_terminated_reason:
        last_state = {
            "terminated": {
                "exitCode": 137 if last_terminated_reason == "OOMKilled" else 1,
                "reason": last_terminated_reason,
                "startedAt": CREATED,
                "finishedAt": STARTED,
                "containerID": "containerd://" + "0" * 64,
            }
        }
    return {
        "name": spec["name"],
        "image": spec["image"],
        "imageID": AGENT_IMAGE_ID,
        "containerID": "containerd://" + "a" * 64,
        "ready": ready,
        "started": ready,
        "restartCount": restart_count,
        "state": state,
        "lastState": last_state,
    }


def node(name: str, zone: str = ZONES[0], *, ready: bool = True, pool: str = "agentpool") -> Obj:
    region = zone.rsplit("-", 1)[0]
    instance = name.rsplit("vmss", 1)[-1].lstrip("0") or "0"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata(
            "Node",
            name,
            None,
            labels={
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.azure.com/agentpool": pool,
                "node.kubernetes.io/instance-type": "Standard_D4ds_v5",
                "topology.kubernetes.io/region": region,
                "topology.kubernetes.io/zone": zone,
            },
            annotations={"node.alpha.kubernetes.io/ttl": "0"},
        ),
        "spec": {
            "podCIDR": "10.244.1.0/24",
            "providerID": (
                f"azure:///subscriptions/{FAKE_SUBSCRIPTION}/resourceGroups/mc_rg-agents_aks-agents"
                f"_{region}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-{pool}-31207608"
                f"-vmss/virtualMachines/{instance}"
            ),
        },
        "status": {
            "capacity": {"cpu": "4", "memory": "16365060Ki", "pods": "110",
                         "ephemeral-storage": "129886128Ki"},
            "allocatable": {"cpu": "3860m", "memory": "12880388Ki", "pods": "110",
                            "ephemeral-storage": "119703055367"},
            "conditions": [
                _node_condition("MemoryPressure", False, "KubeletHasSufficientMemory"),
                _node_condition("DiskPressure", False, "KubeletHasNoDiskPressure"),
                _node_condition("PIDPressure", False, "KubeletHasSufficientPID"),
                _node_condition("Ready", ready, "KubeletReady" if ready else "KubeletNotReady"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": "10.224.0.4"},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid_for("boot", None, name),
                "containerRuntimeVersion": "containerd://1.7.22-1",
                "kernelVersion": "5.15.0-1073-azure",
                "kubeProxyVersion": "v1.30.6",
                "kubeletVersion": "v1.30.6",
                "machineID": uid_for("machine", None, name).replace("-", ""),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.5 LTS",
                "systemUUID": uid_for("system", None, name),
            },
        },
    }


def _node_condition(kind: str, status: bool, reason: str) -> Obj:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": reason,
        "lastHeartbeatTime": STARTED,
        "lastTransitionTime": CREATED,
    }


def pod_disruption_budget(
    name: str = APP,
    namespace: str = NAMESPACE,
    *,
    selector_labels: Mapping[str, str] | None = None,
    min_available: int | str | None = 2,
    max_unavailable: int | str | None = None,
    disruptions_allowed: int = 1,
    expected_pods: int = 3,
) -> Obj:
    spec: Obj = {"selector": {"matchLabels": dict(selector_labels or app_labels(name))}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    healthy = expected_pods
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata("PodDisruptionBudget", name, namespace, labels=app_labels(name), generation=1),
        "spec": spec,
        "status": {
            "observedGeneration": 1,
            "disruptionsAllowed": disruptions_allowed,
            "currentHealthy": healthy,
            "desiredHealthy": healthy - disruptions_allowed,
            "expectedPods": expected_pods,
            "conditions": [
                condition("DisruptionAllowed", disruptions_allowed > 0,
                          "SufficientPods" if disruptions_allowed > 0 else "InsufficientPods"),
            ],
        },
    }


def horizontal_pod_autoscaler(
    name: str = APP,
    namespace: str = NAMESPACE,
    *,
    target: str = APP,
    min_replicas: int = 3,
    max_replicas: int = 10,
    cpu_target: int = 70,
    cpu_current: int | None = 42,
    current_replicas: int = 3,
) -> Obj:
    """An autoscaling/v2 HPA on CPU; `cpu_current=None` means metrics are not available."""
    scaling_active = cpu_current is not None
    status: Obj = {
        "currentReplicas": current_replicas,
        "desiredReplicas": current_replicas,
        "conditions": [
            condition("AbleToScale", True, "ReadyForNewScale", "recommended size matches current size"),
            condition(
                "ScalingActive",
                scaling_active,
                "ValidMetricFound" if scaling_active else "FailedGetResourceMetric",
                "the HPA was able to successfully calculate a replica count from cpu resource utilization"
                if scaling_active
                else "the HPA was unable to compute the replica count: failed to get cpu utilization",
            ),
            condition("ScalingLimited", current_replicas >= max_replicas, "DesiredWithinRange"),
        ],
    }
    if scaling_active:
        current = {"averageUtilization": cpu_current, "averageValue": "210m"}
        status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": current}}]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata("HorizontalPodAutoscaler", name, namespace, labels=app_labels(name)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [{
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": cpu_target},
                },
            }],
        },
        "status": status,
    }


def service(
    name: str = APP,
    namespace: str = NAMESPACE,
    *,
    selector: Mapping[str, str] | None = None,
    port: int = 80,
    target_port: int | str = "http",
    service_type: str = "ClusterIP",
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata("Service", name, namespace, labels=app_labels(name)),
        "spec": {
            "type": service_type,
            "selector": dict(selector or app_labels(name)),
            "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}],
            "clusterIP": "10.0.142.17",
            "clusterIPs": ["10.0.142.17"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    }


def ingress(
    name: str = APP,
    namespace: str = NAMESPACE,
    *,
    host: str = "agent.contoso.example",
    service_name: str = APP,
    service_port: int = 80,
    tls_secret: str | None = "msft-agent-tls",
) -> Obj:
    spec: Obj = {
        "ingressClassName": "webapprouting.kubernetes.azure.com",
        "rules": [
            {
                "host": host,
                "http": {"paths": [{
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": service_name, "port": {"number": service_port}}},
                }]},
            }
        ],
    }
    if tls_secret:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(
            "Ingress", name, namespace, labels=app_labels(name),
            annotations={"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}, generation=1,
        ),
        "spec": spec,
        "status": {"loadBalancer": {"ingress": [{"ip": "20.54.12.7"}]}},
    }


def network_policy(
    name: str,
    namespace: str = NAMESPACE,
    *,
    pod_labels: Mapping[str, str] | None = None,
    allow_from_namespace: str | None = None,
    port: int = 8000,
) -> Obj:
    """A default-deny policy, or with `allow_from_namespace` an ingress allow rule on `port`."""
    spec: Obj = {"podSelector": {"matchLabels": dict(pod_labels)} if pod_labels else {}}
    if allow_from_namespace is None:
        spec["policyTypes"] = ["Ingress", "Egress"]
    else:
        spec["policyTypes"] = ["Ingress"]
        spec["ingress"] = [{
            "from": [{"namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": allow_from_namespace},
            }}],
            "ports": [{"protocol": "TCP", "port": port}],
        }]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata("NetworkPolicy", name, namespace, generation=1),
        "spec": spec,
    }


def service_account(
    name: str = APP, namespace: str = NAMESPACE, *, workload_identity_client_id: str | None = None
) -> Obj:
    annotations = {}
    labels = app_labels(name)
    if workload_identity_client_id:
        annotations["azure.workload.identity/client-id"] = workload_identity_client_id
        labels["azure.workload.identity/use"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata("ServiceAccount", name, namespace, labels=labels, annotations=annotations),
        "automountServiceAccountToken": False,
    }


def config_map(name: str, namespace: str = NAMESPACE, data: Mapping[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata("ConfigMap", name, namespace, labels=app_labels(APP)),
        "data": dict(data or {}),
    }


def event(
    involved: Obj,
    reason: str = "BackOff",
    message: str = "Back-off restarting failed container agent",
    *,
    event_type: str = "Warning",
    count: int = 1,
) -> Obj:
    meta = involved["metadata"]
    namespace = meta.get("namespace", "default")
    name = f"{meta['name']}.17c3a5b2e4f0a1b2"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": metadata("Event", name, namespace),
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta["uid"],
            "fieldPath": "spec.containers{agent}" if involved["kind"] == "Pod" else None,
        },
        "reason": reason,
        "message": message,
        "type": event_type,
        "count": count,
        "firstTimestamp": CREATED,
        "lastTimestamp": STARTED,
        "source": {"component": "kubelet", "host": "aks-agentpool-31207608-vmss000000"},
        "reportingComponent": "kubelet",
        "reportingInstance": "aks-agentpool-31207608-vmss000000",
    }


def stateful_set(
    name: str = "redis",
    namespace: str = NAMESPACE,
    *,
    replicas: int = 3,
    ready_replicas: int | None = None,
    image: str = "mcr.microsoft.com/azurelinux/base/redis:6.2",
) -> Obj:
    labels = app_labels(name)
    ready = replicas if ready_replicas is None else ready_replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata("StatefulSet", name, namespace, labels=labels, generation=1),
        "spec": {
            "replicas": replicas,
            "serviceName": f"{name}-headless",
            "selector": {"matchLabels": labels},
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": pod_template(labels, [container("redis", image, port=6379, cpu="250m",
                                                        memory="512Mi", probes=False)],
                                     service_account=name),
            "volumeClaimTemplates": [{
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "managed-csi-premium",
                    "resources": {"requests": {"storage": "8Gi"}},
                    "volumeMode": "Filesystem",
                },
            }],
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": f"{name}-6f7c9d8b4c",
            "updateRevision": f"{name}-6f7c9d8b4c",
            "collisionCount": 0,
        },
    }


def daemon_set(
    name: str = "otel-collector",
    namespace: str = NAMESPACE,
    *,
    nodes: int = 3,
    ready: int | None = None,
    image: str = "otel/opentelemetry-collector-contrib:0.111.0",
) -> Obj:
    labels = app_labels(name)
    ready_count = nodes if ready is None else ready
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata("DaemonSet", name, namespace, labels=labels, generation=1),
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            "template": pod_template(labels, [container("otel-collector", image, port=4317, cpu="100m",
                                                        memory="256Mi", probes=False)],
                                     service_account=name),
        },
        "status": {
            "currentNumberScheduled": nodes,
            "desiredNumberScheduled": nodes,
            "numberMisscheduled": 0,
            "numberReady": ready_count,
            "numberAvailable": ready_count,
            "updatedNumberScheduled": nodes,
            "observedGeneration": 1,
        },
    }


def namespace_object(name: str = NAMESPACE) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata("Namespace", name, None, labels={"kubernetes.io/metadata.name": name}),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def agent_stack(namespace: str = NAMESPACE) -> list[Obj]:
    """One realistic deployment of the agent service: an object of every kind the plugin lists.

    Three pods spread over three zones (one of them restarting after an OOM kill), their
    ReplicaSet and Deployment, PDB, HPA, Service, Ingress, two NetworkPolicies, the
    ServiceAccount with workload identity, the agent ConfigMap, a warning Event, Redis as a
    StatefulSet and the OpenTelemetry collector as a DaemonSet.
    """
    nodes = [node(f"aks-agentpool-31207608-vmss00000{i}", zone) for i, zone in enumerate(ZONES)]
    agent = deployment(namespace=namespace, containers=[container(env={
        "AZURE_OPENAI_ENDPOINT": "https://contoso-agents.openai.azure.com/",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
    })])
    current = replica_set(agent)
    pods = [
        pod(current, "x2k9q", node_name=nodes[0]["metadata"]["name"]),
        pod(current, "b7m4t", node_name=nodes[1]["metadata"]["name"],
            restart_count=4, last_terminated_reason="OOMKilled"),
        pod(current, "p5w8z", node_name=nodes[2]["metadata"]["name"]),
    ]
    return [
        namespace_object(namespace),
        *nodes,
        agent,
        current,
        *pods,
        pod_disruption_budget(namespace=namespace),
        horizontal_pod_autoscaler(namespace=namespace),
        service(namespace=namespace),
        ingress(namespace=namespace),
        network_policy("default-deny", namespace),
        network_policy("msft-agent-allow-ingress", namespace, pod_labels=app_labels(),
                       allow_from_namespace="app-routing-system"),
        service_account(namespace=namespace, workload_identity_client_id=uid_for("identity", None, APP)),
        config_map("msft-agent-config", namespace, {
            "agent.toml": '[agent]\nname = "msft-agent"\nmodel = "gpt-4o"\n',
            "LOG_LEVEL": "INFO",
        }),
        event(pods[1], "BackOff", "Back-off restarting failed container agent in pod msft-agent"),
        stateful_set(namespace=namespace),
        daemon_set(namespace=namespace),
    ]
