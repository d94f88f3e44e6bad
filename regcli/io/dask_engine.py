"""The Dask engine: the stream engine's two passes run on a Dask cluster's workers, a file each.

Each worker reads its files (``io.stream.scan_batches`` then ``accumulate_batches``); the first
passes' records are joined here in file order, which fixes the encoding and every kept row's
fold exactly as the stream engine does; the second passes' accumulators (per fold) are merged
pairwise on the workers, a tree, and only the merged p x p sums come back.  A table of numbers
without folds needs no first pass (``io.stream.needs_first_pass``): each file is then read once.
The client solves.
Dask is optional (``pip install "regcli[dask]"``); a scheduler that cannot be reached within
``timeout`` seconds is a ServiceError (exit 69).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from regcli.core.progress import file_read
from regcli.errors import ServiceError, UsageError
from regcli.io.stream import (
    Encoding,
    Scan,
    Streamed,
    StreamSpec,
    accumulate_batches,
    check_scan,
    encoding,
    finish,
    fold_ids_of,
    merge_parts,
    needs_first_pass,
    scan_batches,
    stream_batches,
    stream_spec,
)
from regcli.io.table import input_files

INSTALL_HINT = 'the Dask engine needs the dask extra: pip install "regcli[dask]"'


@contextmanager
def dask_client(scheduler: str | None, timeout: float) -> Iterator[Any]:
    """A Client of the scheduler at ``scheduler`` (tcp://host:port), or of a LocalCluster of two
    worker processes on 127.0.0.1 started here (and stopped on leaving)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(f"--engine dask: {INSTALL_HINT}") from None
    # the workers' and the client's logs stay out of regcli's stderr (one line per error)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        try:
            with Client(cluster, timeout=timeout) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ServiceError(
            f"--scheduler {scheduler}: cannot reach the Dask scheduler within {timeout:g} s "
            f"({type(exc).__name__})"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _scan_file(spec: StreamSpec, info: dict[str, Any], file: str) -> Scan:
    with stream_batches(file, spec.decimal, spec.n_columns) as source:
        return scan_batches(spec, source.batches, Scan(info))


def _accumulate_file(
    spec: StreamSpec, enc: Encoding, file: str, fold_ids: np.ndarray | None
) -> list[Any]:
    with stream_batches(file, spec.decimal, spec.n_columns) as source:
        return accumulate_batches(spec, enc, source.batches, fold_ids)


def _accumulate_counting(
    spec: StreamSpec, enc: Encoding, file: str, info: dict[str, Any]
) -> tuple[list[Any], Scan]:
    """The one pass over a file of a table that needs no first pass: its accumulators (about
    its first batch's means) and what a first pass would have recorded."""
    scan = Scan(info)
    with stream_batches(file, spec.decimal, spec.n_columns) as source:
        return accumulate_batches(spec, enc, source.batches, None, counts=scan), scan


def _merge_counting(a: tuple[list[Any], Scan], b: tuple[list[Any], Scan]) -> tuple[list[Any], Scan]:
    """Two adjacent pieces of ``_accumulate_counting`` joined (a's rows come first)."""
    return merge_parts(a[0], b[0]), a[1].merge(b[1])


def _reported(futures: list[Any]) -> list[Any]:
    """``futures`` (one per file), each reporting its file read when done
    (``core.progress.file_read``)."""
    for future in futures:
        future.add_done_callback(file_read)
    return futures


def _merged(client: Any, merge: Any, futures: list[Any]) -> Any:
    """The future of ``futures``' results merged pairwise on the workers, a tree that keeps
    their order (``merge(a, b)`` with a's rows first)."""
    while len(futures) > 1:
        joined = [client.submit(merge, a, b) for a, b in zip(futures[::2], futures[1::2])]
        futures = joined + ([futures[-1]] if len(futures) % 2 else [])
    return futures[0]


def dask_table(
    path: str,
    *,
    client: Any,
    target: str | None = None,
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    weights: str | None = None,
    na: str = "error",
    decimal: str = ".",
    fold_col: str | None = None,
    folds_from: Any = None,
) -> Streamed:
    """``io.stream.stream_table`` with each file's passes on the cluster behind ``client``."""
    import copy

    t0 = time.perf_counter()
    spec, reason, info = stream_spec(
        path,
        target=target,
        features=features,
        exclude=exclude,
        weights=weights,
        na=na,
        decimal=decimal,
        fold_col=fold_col,
    )
    files = input_files(path)
    if not needs_first_pass(spec, info, folds_from):
        # a table of numbers without folds: one pass, as the stream engine makes (each file's
        # sums about its own first batch's means; merging re-centers them exactly)
        enc = encoding(spec, Scan(info), False, 0)
        counted = _reported(
            [
                client.submit(_accumulate_counting, spec, enc, f, copy.deepcopy(info), pure=False)
                for f in files
            ]
        )
        parts, scan = _merged(client, _merge_counting, counted).result()
        check_scan(spec, scan)
        return finish(spec, reason, enc, scan, parts, None, t0, "dask")
    scans = client.gather(
        _reported(
            [client.submit(_scan_file, spec, copy.deepcopy(info), f, pure=False) for f in files]
        )
    )
    offsets = np.cumsum([0] + [s.n_kept for s in scans])  # before the merge adds them up
    scan = scans[0]
    for other in scans[1:]:
        scan.merge(other)
    check_scan(spec, scan)
    fold_ids = fold_ids_of(spec, scan, folds_from)
    K = 0 if fold_ids is None else int(fold_ids.max()) + 1
    enc = encoding(spec, scan, True, K)
    pieces = [
        client.submit(
            _accumulate_file,
            spec,
            enc,
            f,
            None if fold_ids is None else fold_ids[offsets[i] : offsets[i + 1]],
            pure=False,
        )
        for i, f in enumerate(files)
    ]
    parts = _merged(client, merge_parts, _reported(pieces)).result()
    return finish(spec, reason, enc, scan, parts, fold_ids, t0, "dask")
