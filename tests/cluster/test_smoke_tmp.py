import time
from tests.cluster.conftest import *  # noqa
from tests.emulators import kube_objects as k

def test_smoke(kube_api, run_cluster, run_readiness):
    good = live_deployment()
    kube_api.add_many([*NODES, *good.objects, *healthy_companions(good), k.service_account()])
    for args in (("-m", "cluster"), ("-m", "cluster"), ()):
        t = time.time()
        run = run_cluster(manifest_files(as_manifest(good.deployment)), *args)
        print("cluster", args, time.time() - t, run.output[-200:])
    assert 0
