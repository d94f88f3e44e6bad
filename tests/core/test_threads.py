"""BLAS thread counts: one inside a path, the default for its large products, and back."""

import numpy as np

from regcli.core import threads
from regcli.core.stats import thin_product
from regcli.core.tuning import THREADED_FROM


def _counts() -> list[int]:
    return [lib.get_num_threads() for lib, _ in threads._blas_libs()]


def test_all_threads_raises_to_the_defaults_and_restores(monkeypatch) -> None:
    monkeypatch.setenv("REGCLI_THREADS", "64")  # whatever else runs on this machine now
    defaults = [d for _, d in threads._blas_libs()]
    before = _counts()
    with threads.single_blas_thread():
        assert all(c == 1 for c in _counts())
        with threads.all_threads():
            assert _counts() == defaults
        assert all(c == 1 for c in _counts())
        with threads.workers_fill_the_cores(), threads.all_threads():
            assert all(c == 1 for c in _counts())  # forked workers already fill the cores
    assert _counts() == before


def test_a_large_product_is_the_same_on_every_thread() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((THREADED_FROM // 500 + 1, 500))
    M = rng.standard_normal((500, 2))
    with threads.single_blas_thread():
        got = thin_product(A, M)
        assert all(c == 1 for c in _counts())
    np.testing.assert_allclose(got, A @ M, rtol=1e-12, atol=1e-12)


def test_tasks_keep_one_thread_for_every_jobs() -> None:
    """cv's fold paths run through run_tasks: their large products stay on one thread whatever
    ``jobs``, so results cannot depend on it (two threads may change the last bits)."""
    from regcli.core.parallel import can_fork, run_tasks

    def task(_: int) -> list[int]:
        with threads.all_threads():
            return _counts()

    for jobs in (1, 2) if can_fork() else (1,):
        for counts in run_tasks(task, [0, 1, 2, 3], jobs):
            assert all(c == 1 for c in counts)
    with threads.single_blas_thread(), threads.all_threads():  # outside tasks: the defaults
        # (at most the spare cores: a busy machine, e.g. a benchmark beside the tests, has fewer)
        spare = threads.spare_cores()
        assert _counts() == [min(d, spare) for _, d in threads._blas_libs()]


def test_spare_cores_follow_the_setting_and_the_other_runnable_processes(monkeypatch, tmp_path):
    monkeypatch.setenv("REGCLI_THREADS", "1")
    with threads.single_blas_thread(), threads.all_threads():
        assert all(c == 1 for c in _counts())  # REGCLI_THREADS=1: never raised
    monkeypatch.delenv("REGCLI_THREADS")
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    real_open = open

    def loadavg(running: int):  # type: ignore[no-untyped-def]
        def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if path == "/proc/loadavg":
                fake = tmp_path / "loadavg"
                fake.write_text(f"3.10 2.50 2.00 {running}/300 12345\n")
                return real_open(fake, *args, **kwargs)
            return real_open(path, *args, **kwargs)

        return fake_open

    # (runnable tasks, this process's runnable threads, spare cores): this process's own
    # threads (the caller, BLAS threads still spinning) are not other processes
    for running, own, spare in ((1, 1, 4), (2, 1, 3), (4, 1, 1), (9, 1, 1), (3, 2, 3)):
        monkeypatch.setattr(threads, "_own_running_threads", lambda own=own: own)
        monkeypatch.setattr("builtins.open", loadavg(running))
        threads._spare["at"] = -1e9  # no cached reading
        assert threads.spare_cores() == spare
    monkeypatch.undo()
    assert threads._own_running_threads() >= 1  # the real count: at least the caller


def test_the_threads_option_fixes_the_count_for_one_run(cli):
    from tests.conftest import SAMPLE

    data = str(SAMPLE / "diabetes.csv")
    seen = []
    real = threads.spare_cores

    def spy() -> int:
        seen.append(real())
        return seen[-1]

    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(threads, "spare_cores", spy)
    try:
        assert cli("fit", data, "--alpha", "1", "--threads", "1", "-q", "-f", "json").exit_code == 0
        assert seen and set(seen) == {1}
        assert threads._setting["threads"] == 1
        assert cli("fit", data, "--alpha", "1", "-q", "-f", "json").exit_code == 0
        assert threads._setting["threads"] is None  # the next run is back to the rule
    finally:
        mp.undo()
    r = cli("fit", data, "--alpha", "1", "--threads", "0")
    assert r.exit_code == 2 and "--threads" in r.stderr


def test_scipys_blas_loaded_inside_a_one_thread_block_joins_the_limit() -> None:
    """SciPy's linalg brings a BLAS of its own; loaded lazily inside ``single_blas_thread`` (a
    path that reaches a larger factor), it must run on one thread there too, and get its count
    back afterwards.  In a fresh process: this one has SciPy loaded already."""
    import json
    import subprocess
    import sys

    code = """
import json, sys
from threadpoolctl import threadpool_info
from regcli.core import threads
from regcli.core.lapack import scipy_linalg
assert "scipy.linalg" not in sys.modules
with threads.single_blas_thread():
    scipy_linalg()
    inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({"inside": inside, "after": after}))
"""
    env = {"OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    assert counts["inside"] and all(c == 1 for c in counts["inside"]), counts
    assert max(counts["after"]) == 2, counts  # OPENBLAS_NUM_THREADS, restored
