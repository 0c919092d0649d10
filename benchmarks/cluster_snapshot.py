"""How the cluster source scales: 500 Deployments / 5,000 Pods in the loopback API emulator.

Measures `load_snapshot` alone (requests, wall time, peak Python memory by tracemalloc), then a
`pytest --readiness` run over the same cluster (requests, wall time, peak RSS of the process, which
also holds the emulator and its objects). Prints figures; asserts nothing.

    python benchmarks/cluster_snapshot.py                 # the cluster-only checks (-m cluster)
    python benchmarks/cluster_snapshot.py --all           # the whole checklist, static checks included
    python benchmarks/cluster_snapshot.py --deployments 50 --pods 10
    python benchmarks/cluster_snapshot.py --snapshot-only  # load_snapshot alone, no checklist run
    python benchmarks/cluster_snapshot.py --log-pods 1     # read one pod's log per workload, not three
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from pytest_readiness.sources.kube.cluster import KINDS, ClusterTarget, load_snapshot  # noqa: E402
from tests.emulators import kube_objects as k  # noqa: E402
from tests.emulators.kube_api import KubeApiEmulator  # noqa: E402

CONTEXT = "bench"


def cluster_objects(deployments: int, pods_per_deployment: int) -> list[dict[str, Any]]:
    """Deployments with their ReplicaSet, pods spread over three zones, a PDB, an HPA and a NetworkPolicy each."""
    nodes = [k.node(f"aks-agentpool-31207608-vmss00000{i}", zone) for i, zone in enumerate(k.ZONES)]
    objects: list[dict[str, Any]] = [*nodes, k.service_account()]
    for i in range(deployments):
        name = f"agent-{i:03d}"
        deployment = k.deployment(name, replicas=pods_per_deployment)
        replica_set = k.replica_set(deployment)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        objects += [deployment, replica_set]
        objects += [k.pod(replica_set, f"p{j:03d}", node_name=nodes[j % 3]["metadata"]["name"])
                    for j in range(pods_per_deployment)]
        objects += [k.pod_disruption_budget(name, selector_labels=labels),
                    k.horizontal_pod_autoscaler(name, target=name, min_replicas=pods_per_deployment),
                    k.network_policy(f"{name}-ingress", pod_labels=labels, allow_from_namespace="app-routing-system")]
    return objects


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=500)
    parser.add_argument("--pods", type=int, default=10, help="pods per deployment")
    parser.add_argument("--all", action="store_true", help="run the whole checklist, not only -m cluster")
    parser.add_argument("--snapshot-only", action="store_true", help="measure load_snapshot alone")
    parser.add_argument("--log-pods", type=int, default=3, help="--readiness-log-pods for the checklist run")
    args = parser.parse_args()

    objects = cluster_objects(args.deployments, args.pods)
    pods = args.deployments * args.pods
    print(f"cluster: {args.deployments} Deployments, {pods} Pods, {len(objects)} objects in all")
    with KubeApiEmulator() as api, tempfile.TemporaryDirectory() as scratch:
        api.add_many(objects)
        kubeconfig = api.write_kubeconfig(Path(scratch) / "kubeconfig", context=CONTEXT, namespace=k.NAMESPACE)

        target = ClusterTarget(str(kubeconfig), CONTEXT, k.NAMESPACE)
        started = time.perf_counter()
        snapshot = load_snapshot(target)
        cold = time.perf_counter() - started
        snapshot.close()
        requests = len(api.requests)
        started = time.perf_counter()
        load_snapshot(target).close()
        warm = time.perf_counter() - started
        tracemalloc.start()  # a third load, measured for memory only: tracing slows it several times over
        load_snapshot(target).close()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        bound = len(KINDS) * math.ceil(pods / 500)
        print(f"load_snapshot: {len(snapshot.objects)} objects, {requests} requests "
              f"(bound kinds x ceil(pods/500) = {bound}), {cold:.1f} s the first time (importing the client's "
              f"API modules included), {warm:.1f} s the second; peak Python memory {peak / 2**20:.0f} MiB "
              "(the emulator's, in the same process, included)")

        if args.snapshot_only:
            return 0
        api.clear_requests()
        project = Path(scratch) / "project"
        project.mkdir()
        selection = [] if args.all else ["-m", "cluster"]
        started = time.perf_counter()
        exit_code = pytest.main([
            "--readiness", f"--readiness-project={project}", f"--readiness-kubeconfig={kubeconfig}",
            f"--readiness-kube-context={CONTEXT}", f"--readiness-namespace={k.NAMESPACE}", "-q", "--no-header",
            "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--tb=no", "-rN", f"--rootdir={project}",
            f"--readiness-log-pods={args.log_pods}", *selection,
        ])
        elapsed = time.perf_counter() - started
        logs = sum(r.path.endswith("/log") for r in api.requests)
        print(f"checklist run ({'whole checklist' if args.all else '-m cluster'}): exit {int(exit_code)}, "
              f"{len(api.requests)} requests ({len(api.requests) - logs} lists, {logs} log tails), "
              f"{elapsed:.1f} s, peak RSS {peak_rss_mib():.0f} MiB (emulator included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
