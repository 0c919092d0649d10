import time
def test_time(run_readiness):
    from tests.checks.test_observability_checks import GOOD, ONLY_OBSERVABILITY
    for i in range(4):
        t = time.time(); run_readiness(GOOD, *ONLY_OBSERVABILITY); print("run", i, round(time.time() - t, 2))
