"""The Kubernetes source's options: manifests, rendering, and the live cluster."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_readiness.session import option


@dataclass(frozen=True)
class KubeOptions:
    manifests: str = option(
        "deployment/kubernetes", "Kubernetes manifests: a directory, a file, a kustomization or '-' for stdin"
    )
    helm_values: tuple[str, ...] = option(
        (), "values files for `helm template` (-f), relative to the project", "linelist"
    )
    kustomize_outside_bases: bool = option(
        False, "render kustomize bases and files outside the project (refused by default, as remote bases are)",
        "bool")
    helm_release: str = option("release-name", "release name for `helm template` (helm's own default)")
    kubeconfig: str = option("", "kubeconfig file for the cluster checks", "path")
    kube_context: str = option("", "kubeconfig context: enables the cluster checks")
    namespace: str = option("", "namespace of the agent in the cluster")
    in_cluster: bool = option(False, "use the in-cluster service account (run as a Job in the cluster)", "bool")
    log_tail_lines: int = option(200, "log lines read from the end of each container's log (at most 1 MiB)", "int")
    log_error_threshold: int = option(
        0, "errors (error lines, stack traces) a container's log tail may hold without failing the log check", "int"
    )
    log_pods: int = option(3, "pods per workload whose logs are read (not-ready and most-restarted first)", "int")
