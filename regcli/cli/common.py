"""Plumbing shared by the commands: option parsing, loading, emitting results.

Imported inside command functions only, so that `regcli --help` stays light.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from regcli.cli.messages import flush_deferred, note, warn
from regcli.cli.options import OutputFormat, Penalty
from regcli.errors import UsageError
from regcli.io.dataset import Dataset, fold_codes, load_dataset
from regcli.io.files import check_writable, same_outputs, write_atomic


def split_list(value: str | None, option: str) -> list[str] | None:
    """'a,b,c' -> ['a', 'b', 'c'] (None stays None)."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise UsageError(f"{option}: empty name in {value!r}")
    return items


def parse_floats(
    value: str, option: str, *, low: float = 0.0, high: float | None = None
) -> list[float]:
    out = []
    for item in value.split(","):
        try:
            x = float(item)
        except ValueError:
            raise UsageError(f"{option}: {item.strip()!r} is not a number") from None
        if not (x >= low and (high is None or x <= high)) or x != x or x == float("inf"):
            bound = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
            raise UsageError(f"{option}: {x:g} is outside {bound}")
        out.append(x)
    if not out:
        raise UsageError(f"{option}: no values")
    return out


def resolve_l1_ratio(penalty: Penalty | None, l1_ratio: float | None) -> float:
    """The l1 ratio implied by --penalty and --l1-ratio."""
    if penalty is None:
        return 1.0 if l1_ratio is None else l1_ratio
    if penalty is Penalty.elasticnet:
        return 0.5 if l1_ratio is None else l1_ratio
    fixed = 1.0 if penalty is Penalty.l1 else 0.0
    if l1_ratio is not None and l1_ratio != fixed:
        raise UsageError(
            f"--l1-ratio: {l1_ratio:g} conflicts with --penalty {penalty.value}; "
            "use --penalty elasticnet"
        )
    return fixed


@dataclass(frozen=True)
class DataOptions:
    data: str
    target: str | None
    features: str | None
    exclude: str | None
    weights: str | None
    na: str
    decimal: str = "."
    standardize: bool = True
    family: str = "gaussian"
    positive_class: str | None = None

    def load(
        self, fold_col: str | None = None, group_col: str | None = None, *, digest: bool = False
    ) -> Dataset:
        """Load the table; --fold-col / --group-col columns are kept aside for the folds.

        ``digest``: record the file's sha256 (for --save).  Says on stderr which column is the
        target when --target was not given, and warns when
        a 0/1 target is about to be fitted by least squares."""
        extra = {k: v for k, v in (("fold", fold_col), ("group", group_col)) if v is not None}
        ds = self._read(extra, digest)
        announce_target(ds, self.family == "gaussian" and binary_target(ds.y))
        if ds.target_levels is not None:
            note(
                f"binomial: modelling P({ds.target} = {ds.target_levels[1]!r}) against "
                f"{ds.target_levels[0]!r}; --positive-class chooses the other class",
                defer=True,
            )
        return ds

    def _read(self, extra: dict[str, str], digest: bool) -> Dataset:
        return load_dataset(
            self.data,
            target=self.target,
            features=split_list(self.features, "--features"),
            exclude=split_list(self.exclude, "--exclude"),
            weights=self.weights,
            na=self.na,
            extra_columns=extra,
            decimal=check_decimal(self.decimal),
            digest=digest,
            standardize=self.standardize,
            family=self.family,
            positive_class=self.positive_class,
        )


def check_decimal(mark: str) -> str:
    """The --decimal mark: '.' or ','."""
    if mark not in (".", ","):
        raise UsageError(f"--decimal: expected '.' or ',', got {mark!r}")
    return mark


def parse_grid(alphas: str | None, eps: float | None):  # type: ignore[no-untyped-def]
    """--alphas (an explicit grid, every alpha > 0) or --eps (in (0, 1)), not both."""
    import numpy as np

    if eps is not None and not 0 < eps < 1:
        raise UsageError(f"--eps: {eps:g} must be between 0 and 1 (exclusive)")
    if alphas is None:
        return None
    if eps is not None:
        raise UsageError("--alphas and --eps cannot be used together")
    grid = np.array(parse_floats(alphas, "--alphas"))
    if not (grid > 0).all():
        raise UsageError("--alphas: every alpha must be > 0")
    return grid


@dataclass(frozen=True)
class Emitter:
    """Where and how a result goes: stdout or a file, as table, csv or json."""

    fmt: OutputFormat
    output: str | None
    force: bool

    @classmethod
    def create(cls, fmt: OutputFormat | None, output: str | None, force: bool) -> Emitter:
        if output is not None:
            check_writable(output, force=force)  # fail before doing any work
        if fmt is None:
            if output is not None and output.lower().endswith(".json"):
                fmt = OutputFormat.json
            elif output is not None or not sys.stdout.isatty():
                fmt = OutputFormat.csv  # .csv, .tsv, any other name, or a pipe
            else:
                fmt = OutputFormat.table
        return cls(fmt=fmt, output=output, force=force)

    @property
    def to_terminal(self) -> bool:
        return self.output is None and sys.stdout.isatty()

    def result(self, payload: dict[str, Any], to_csv: Any, draw: Any) -> None:
        """Emit ``payload`` as JSON, as ``to_csv(payload)``, or as the table ``draw(console,
        payload, terminal)`` draws (rich on a terminal, plain text otherwise)."""
        from regcli.cli.tables import render_text

        flush_deferred()
        if self.fmt is OutputFormat.json:
            self.emit(json_text(payload))
        elif self.fmt is OutputFormat.csv:
            self.emit(to_csv(payload))
        else:
            terminal = self.to_terminal
            text = render_text(lambda con: draw(con, payload, terminal), terminal=terminal)
            if text is not None:
                self.emit(text)

    def emit(self, text: str) -> None:
        if self.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(self.output, text, force=self.force)


def announce_target(ds: Dataset, zero_one: bool) -> None:
    """Say which column is the target when --target did not name it, and warn when a 0/1
    target (``zero_one``) is about to be fitted by least squares."""
    if ds.target_reason != "--target":
        note(
            f"target: {ds.target!r} ({ds.target_reason}); --target NAME chooses another",
            defer=True,
        )
    if zero_one:
        warn(
            f"target {ds.target!r} holds only 0 and 1: it is fitted by least squares "
            "(a linear probability model); for logistic regression add --family binomial",
            defer=True,
        )


def binary_target(y) -> bool:  # type: ignore[no-untyped-def]
    """True when every target value is 0 or 1."""
    import numpy as np

    return bool(np.isin(y, (0.0, 1.0)).all())


def above_alpha_max(alpha: float, alpha_max: float, l1_ratio: float) -> None:
    """Say why every coefficient is zero when alpha >= alpha_max (any l1 part)."""
    if l1_ratio > 0 and alpha_max > 0 and alpha >= alpha_max:
        note(
            f"--alpha {alpha:g} is at or above alpha_max = {alpha_max:.6g}: every coefficient "
            "is zero; a smaller alpha selects features"
        )


def json_text(payload: dict[str, Any]) -> str:
    """The payload as JSON; a value that is not a finite number is written as null."""
    import json

    return json.dumps(finite_only(payload), indent=2, allow_nan=False) + "\n"


def finite_only(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON null)."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_only(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_only(v) for v in value]
    return value


def resolve_l1_ratios(penalty: Penalty | None, l1_ratio: str | None) -> list[float]:
    """The l1 ratios to cross-validate: one for l1/l2, one or several for elasticnet."""
    if l1_ratio is None:
        return [resolve_l1_ratio(penalty, None)]
    ratios = parse_floats(l1_ratio, "--l1-ratio", low=0.0, high=1.0)
    if penalty in (Penalty.l1, Penalty.l2):
        return [resolve_l1_ratio(penalty, r) for r in ratios]
    return list(dict.fromkeys(ratios))


def build_folds(
    ds: Dataset,
    *,
    n_folds: int,
    seed: int,
    repeats: int,
    fold_col: str | None,
    group_col: str | None,
    family: str = "gaussian",
) -> list:  # type: ignore[type-arg]
    """Fold-id arrays (one per repeat) from --folds/--seed/--repeats, --fold-col or --group-col;
    for binomial and Poisson models every training fold must be one the family can fit."""
    import numpy as np

    from regcli.core.cv import make_folds
    from regcli.errors import DataError

    n = ds.n_samples
    if fold_col is not None:
        if group_col is not None:
            raise UsageError("--fold-col and --group-col cannot be used together")
        if repeats != 1:
            raise UsageError("--repeats needs random folds; it cannot be used with --fold-col")
        values = ds.extra["fold"]
        if any(v is None or v != v for v in values):
            raise DataError(f"{ds.source}: fold column {fold_col!r} has missing values")
        ids = fold_codes(values)
        if ids.max() < 1:
            raise DataError(f"{ds.source}: fold column {fold_col!r} has a single fold")
        folds = [ids.astype(np.intp)]
        _check_training_rows(folds, n, f"{ds.source}: fold column {fold_col!r}", DataError)
        _check_family_folds(ds, family, folds, f"{ds.source}: fold column {fold_col!r}")
        return folds
    if n_folds > n:
        raise UsageError(f"--folds: {n_folds} folds for {n} rows")
    groups = None
    if group_col is not None:
        values = ds.extra["group"]
        groups = values.astype(str) if values.dtype == object else values
        n_groups = np.unique(groups).size
        if n_groups < n_folds:
            raise UsageError(
                f"--folds: {n_folds} folds but only {n_groups} groups in {group_col!r}"
            )
    folds = [make_folds(n, n_folds, seed=seed + r, groups=groups) for r in range(repeats)]
    _check_training_rows(folds, n, f"--folds: {n_folds} folds of {n} rows", UsageError)
    _check_family_folds(ds, family, folds, f"--folds: {n_folds} folds of {n} rows")
    return folds


def _check_family_folds(ds: Dataset, family: str, folds: list, what: str) -> None:  # type: ignore[type-arg]
    """A binomial training fold needs both classes among its rows with positive weight, a
    Poisson one a positive count (exit 65; glmnet refuses such data too)."""
    import numpy as np

    from regcli.errors import DataError

    if family not in ("binomial", "poisson"):
        return
    carried = np.ones(ds.n_samples, bool) if ds.weights is None else ds.weights > 0
    for ids in folds:
        for k in range(int(ids.max()) + 1):
            y = ds.y[carried & (ids != k)]
            if family == "binomial" and (y.size == 0 or np.ptp(y) == 0):
                levels = ds.target_levels or ["0", "1"]
                only = f"only the class {levels[int(y[0])]!r}" if y.size else "no weighted row"
                raise DataError(
                    f"{what} leave training fold {k + 1} with {only}; binomial needs both "
                    "classes in every training fold (use fewer folds)"
                )
            if family == "poisson" and not (y > 0).any():
                raise DataError(
                    f"{what} leave training fold {k + 1} with counts of 0 only; nothing to fit "
                    "(use fewer folds)"
                )


def _check_training_rows(folds: list, n: int, what: str, error: type) -> None:  # type: ignore[type-arg]
    """Every training fold (all rows but one fold) needs at least 2 rows to fit."""
    import numpy as np

    smallest = min(n - int(np.bincount(f).max()) for f in folds)
    if smallest < 2:
        raise error(f"{what} leave a training fold with {smallest} row(s); need at least 2")


def distinct_outputs(**paths: str | None) -> None:
    """Usage error, before anything is written, when two output options name one file."""
    same_outputs({f"--{name}": path for name, path in paths.items()})


def check_save(path: str | None, force: bool) -> None:
    """Fail before any work when --save cannot be written as asked."""
    if path is not None:
        check_writable(path, force=force, option="--save")


def check_set(
    command: str,
    *,
    junit: str | None,
    checks_file: str | None,
    features: list[str] | None = None,
    columns: dict[str, list[str]] | None = None,
    extra: list[Any] | None = None,
    **gates: Any,
) -> Any:
    """The checks of one run: those the gate options ask for (``extra``: a command's own
    gates as Checks), then those of --checks FILE."""
    from regcli.cli.checks import CheckSet, gate_checks, load_checks_file

    items = gate_checks(features=features, columns=columns, **gates) + list(extra or [])
    if checks_file is not None:
        items += load_checks_file(checks_file, command, features=features, columns=columns)
    return CheckSet(items, junit)


def fit_metrics(res: Any, family: dict[str, Any] | None = None, **cv: float) -> dict[str, Any]:
    """The metrics checks see for a fitted model (``core.fitting.FitResult``), with the cv ones
    (cv_r2, cv_mean, cv_se) of the rule that chose it and the family's (``family_measures``)."""
    return {
        "r2": res.r2,
        "n_nonzero": res.n_nonzero,
        "converged": res.converged,
        "alpha": res.alpha,
        "max_kkt_violation": res.max_kkt_violation,
        **{k: v for k, v in (family or {}).items() if k in FAMILY_METRICS},
        **{k: float(v) for k, v in cv.items()},
    }


#: The family measures that checks can test (``family_measures``).
FAMILY_METRICS = ("deviance", "null_deviance", "dev_ratio", "accuracy", "auc")


def check_family_options(
    family: str,
    *,
    positive_class: str | None = None,
    relax: bool = False,
    min_auc: float | None = None,
    max_deviance: float | None = None,
) -> None:
    """Usage errors for options that do not apply to ``family``."""
    if family != "binomial":
        if positive_class is not None:
            raise UsageError("--positive-class: only with --family binomial")
        if min_auc is not None:
            raise UsageError("--min-auc: only with --family binomial")
    if family == "gaussian" and max_deviance is not None:
        raise UsageError("--max-deviance: only with --family binomial or poisson (use --min-r2)")
    if family != "gaussian" and relax:
        raise UsageError(
            f"--relax: cross-validating gamma is not available for --family {family} yet; "
            "relaxed fits and paths are (fit --alpha A --relax, path --relax)"
        )


def family_measures(res: Any, ds: Dataset) -> dict[str, Any] | None:
    """Training deviance, null deviance and deviance ratio of a binomial or Poisson fit, with
    accuracy, AUC and the classes for binomial; None for gaussian."""
    if res.family == "gaussian":
        return None
    out: dict[str, Any] = {
        "deviance": res.deviance,
        "null_deviance": res.null_deviance,
        "dev_ratio": res.r2,
    }
    if res.family == "binomial":
        from regcli.core.glmcv import classification_measures

        eta = res.intercept + ds.X @ res.coef
        out.update(classification_measures(ds.y, eta, ds.weights))
        out["classes"] = list(ds.target_levels or ["0", "1"])
        out["positive_class"] = out["classes"][1]
    return out


def chosen_engine(engine: str, data: str, memory_limit: str | None, family: str) -> str:
    """The engine that reads ``data``: as given, or for 'auto' stream when the decoded table
    (Parquet: rows x columns x 8 bytes from its metadata; text: its size, an upper bound)
    would exceed --memory-limit (default a quarter of the memory), else local; says which."""
    if engine != "auto":
        if memory_limit is not None:
            raise UsageError("--memory-limit: only with --engine auto")
        return engine
    limit = _bytes(memory_limit) if memory_limit is not None else _memory() / 4
    if data == "-" or family != "gaussian":
        return "local"
    from regcli.io.table import input_files

    size = 0.0
    for file in input_files(data):
        size += _decoded_size(file)
    chosen = "stream" if size > limit else "local"
    note(
        f"--engine auto: {chosen} (the decoded table is about {size / 2**20:.0f} MB; the limit "
        f"is {limit / 2**20:.0f} MB)",
        defer=True,
    )
    return chosen


def _decoded_size(file: str) -> float:
    import os

    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(file).metadata
        return float(meta.num_rows) * meta.num_columns * 8
    except Exception:  # not Parquet: text, its size in bytes (gzip: five times it)
        size = float(os.path.getsize(file))
        return size * 5 if file.endswith(".gz") else size


#: Bytes a command holds per alpha and feature of a path (its peak resident size beyond the
#: data's, measured on wide tables): ``path`` with its coefficient rows as JSON text or as CSV
#: and tables; ``cv`` per full path, plus one byte per training fold (the folds' supports).
PATH_BYTES_PER_ENTRY = {"json": 200.0, "csv": 80.0, "table": 80.0}
CV_BYTES_PER_ENTRY = 24.0


def check_grid_memory(need: float, points: int, n_features: int, option: str) -> None:
    """Refuse, before any work, a grid whose paths would not fit in the memory available now
    (``need`` bytes for ``points`` alphas over ``n_features`` features): exit 2 naming the
    option, instead of a run the system kills when memory runs out."""
    from regcli.core.parallel import available_memory

    free = available_memory()
    if free is None or need <= free:
        return
    raise UsageError(
        f"{option}: {points} alphas x {n_features} features would need about "
        f"{_size_text(need)} of memory, more than the {_size_text(free)} available; ask for "
        "fewer alphas"
    )


def _size_text(size: float) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 2**10:.0f} KB"


def _memory() -> float:
    import os

    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8.0 * 2**30


def _bytes(text: str) -> float:
    """'500M', '4G', '123456' as bytes; a usage error otherwise."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    t = text.strip().upper().removesuffix("B")
    scale = 1
    if t and t[-1] in units:
        scale, t = units[t[-1]], t[:-1]
    try:
        value = float(t) * scale
    except ValueError:
        raise UsageError(f"--memory-limit: {text!r} is not a size (e.g. 4G, 500M)") from None
    if not value > 0:
        raise UsageError(f"--memory-limit: {text!r} must be positive")
    return value


def stream_data(
    options: DataOptions,
    *,
    family: str = "gaussian",
    fold_col: str | None = None,
    n_folds: int | None = None,
    seed: int = 0,
    engine: str = "stream",
    scheduler: str | None = None,
    timeout: float = 30.0,
    progress: bool = False,
    quiet: bool = False,
) -> Any:
    """--engine stream or dask: the table read in passes into sufficient statistics
    (``io.stream.Streamed``), with the fold ids of --fold-col or of n_folds seeded folds; the
    dask engine runs the passes on the cluster at ``scheduler`` (a local one without).  The
    rows (files on a cluster) read are shown as for ``progress_bar``."""
    import numpy as np

    from regcli.cli.progress import reading_progress
    from regcli.core.cv import make_folds
    from regcli.io.stream import stream_table

    if family != "gaussian":
        raise UsageError(
            f"--engine {engine}: --family {family} is not streamed yet (each Newton step would "
            "be a pass over the data); use --engine local"
        )

    def folds_from(n: int) -> Any:
        assert n_folds is not None
        if n_folds > n:
            raise UsageError(f"--folds: {n_folds} folds for {n} rows")
        ids = make_folds(n, n_folds, seed=seed)
        return ids.astype(np.int16) if n_folds <= np.iinfo(np.int16).max else ids

    read: dict[str, Any] = dict(
        target=options.target,
        features=split_list(options.features, "--features"),
        exclude=split_list(options.exclude, "--exclude"),
        weights=options.weights,
        na=options.na,
        decimal=check_decimal(options.decimal),
        fold_col=fold_col,
        folds_from=None if n_folds is None or fold_col is not None else folds_from,
    )
    if engine == "dask":
        from regcli.io.dask_engine import dask_client, dask_table
        from regcli.io.table import input_files

        files = len(input_files(options.data))
        with dask_client(scheduler, timeout) as client:
            with reading_progress(
                "reading on the cluster", files=files, force=progress, quiet=quiet
            ):
                streamed = dask_table(options.data, client=client, **read)
    else:
        with reading_progress("streaming:", force=progress, quiet=quiet):
            streamed = stream_table(options.data, **read)
    ds = streamed.dataset
    announce_target(ds, streamed.target_binary)
    if streamed.fold_ids is not None:
        _check_training_rows(
            [streamed.fold_ids],
            ds.n_samples,
            f"--folds: the folds of {ds.n_samples} rows",
            UsageError,
        )
    return streamed


def load_for_cv(
    options: DataOptions,
    *,
    engine: str,
    family: str,
    fold_col: str | None,
    group_col: str | None,
    n_folds: int,
    seed: int,
    digest: bool,
    fit_intercept: bool,
    standardize: bool,
    needs_rows: str | None = None,
    scheduler: str | None = None,
    timeout: float = 30.0,
    progress: bool = False,
    quiet: bool = False,
) -> tuple[Dataset, Any, Any]:
    """(dataset, stream or None, streamed statistics or None) for cv and compare: the table in
    memory, or streamed with its fold sums (``needs_rows`` names options that refuse it)."""
    if engine == "local":
        return options.load(fold_col, group_col, digest=digest), None, None
    if needs_rows is not None:
        raise UsageError(f"--engine {engine}: {needs_rows} need the rows; use --engine local")
    stream = stream_data(
        options,
        family=family,
        fold_col=fold_col,
        n_folds=n_folds,
        seed=seed,
        engine=engine,
        scheduler=scheduler,
        timeout=timeout,
        progress=progress,
        quiet=quiet,
    )
    statistics = streamed_statistics(stream, fit_intercept=fit_intercept, standardize=standardize)
    return stream.dataset, stream, statistics


def streamed_statistics(streamed: Any, *, fit_intercept: bool, standardize: bool) -> Any:
    """((standardization, Gram statistics), fold sums or None) of a streamed table; a usage
    error where p is above the Gram limit (the lazy route for p >> n needs the rows)."""
    from regcli.core.cv import FoldSums
    from regcli.core.dispatch import statistics_source
    from regcli.core.stats import gram_statistics, standardization_from

    ds = streamed.dataset
    n, p = ds.n_samples, ds.n_features
    if statistics_source(n, p) != "gram":
        raise UsageError(
            f"--engine {ds.engine}: {p} features for {n} rows is beyond the Gram statistics (the "
            "p > n route keeps the rows in memory); use --engine local"
        )
    if streamed.folds is None:
        std = standardization_from(
            streamed.total, fit_intercept=fit_intercept, standardize=standardize
        )
        stats = gram_statistics(streamed.total, std, fit_intercept=fit_intercept, n_samples=n)
        return (std, stats), None
    sums = [FoldSums.from_moments(streamed.folds)]
    prepared = sums[0].all_rows(n_samples=n, fit_intercept=fit_intercept, standardize=standardize)
    return prepared, sums


def auc_folds(y: Any, folds: list[Any], weights: Any = None) -> None:
    """Refuse --metric auc when a fold lacks a class among its rows of positive weight (exit
    2); warn, as cv.glmnet does, when folds hold fewer than 10 rows (their AUC is noisy)."""
    import numpy as np

    from regcli.core.glmcv import AUC_MIN_FOLD_ROWS, auc_problem

    problem = auc_problem(y, folds, weights)
    if problem is not None:
        raise UsageError(f"--metric auc: {problem}; use fewer --folds or --metric deviance")
    smallest = min(int(np.bincount(ids.astype(int)).min()) for ids in folds)
    if smallest < AUC_MIN_FOLD_ROWS:
        warn(
            f"--metric auc: a fold holds {smallest} rows (< {AUC_MIN_FOLD_ROWS}); its AUC is "
            "noisy (cv.glmnet falls back to deviance there)"
        )


def resolve_metric(metric: Any, family: str) -> str:
    """The cv measure: --metric, else mse (gaussian) or deviance; refuses one that does not
    apply to the family (exit 2)."""
    if metric is None:
        return "mse" if family == "gaussian" else "deviance"
    value = str(metric.value)
    allowed = {
        "gaussian": ("mse", "mae", "r2", "deviance"),
        "binomial": ("deviance", "class", "auc", "mse", "mae"),
        "poisson": ("deviance", "mse", "mae"),
    }[family]
    if value not in allowed:
        raise UsageError(
            f"--metric {value}: not for --family {family} (one of {', '.join(allowed)})"
        )
    if family == "gaussian" and value == "deviance":
        return "mse"  # the gaussian deviance is the squared error
    return value


def encoded_columns(ds: Dataset) -> dict[str, list[str]]:
    """Each input column's features (a one-hot column's levels), for checks by column name."""
    return {e.column: e.features for e in ds.encodings}


def relax_gamma(relax: bool, gamma: float | None) -> float | None:
    """The gamma of a relaxed fit or path (None without --relax)."""
    if not relax:
        if gamma is not None:
            raise UsageError("--gamma: only with --relax")
        return None
    return 0.0 if gamma is None else gamma


def relax_gammas(relax: bool, gamma: str | None, ratios: list[float]) -> list[float] | None:
    """The gammas cv --relax cross-validates (None without --relax)."""
    if not relax:
        if gamma is not None:
            raise UsageError("--gamma: only with --relax")
        return None
    if len(ratios) != 1:
        raise UsageError("--relax: give one --l1-ratio (cv.glmnet relaxes one alpha at a time)")
    if gamma is None:
        from regcli.core.relax import DEFAULT_GAMMAS

        return list(DEFAULT_GAMMAS)
    return sorted(set(parse_floats(gamma, "--gamma", low=0.0, high=1.0)))


def relax_note(res: Any) -> None:
    """Say when a relaxed fit's support was too large to refit."""
    if res.gamma is not None and not res.refit_ok:
        if res.n_nonzero > res.n_samples - 3:
            why = (
                f"{res.n_nonzero} nonzero coefficients are more than n - 3 = "
                f"{res.n_samples - 3}, so there is no refit"
            )
        else:  # binomial or Poisson: the unpenalized refit diverged
            why = "the unpenalized refit on its support does not converge (separable classes?)"
        note(f"relaxed fit: {why}: the penalized fit is reported (gamma 1)")


def use_threads(threads: int | None) -> None:
    """--threads N: the BLAS thread count for large products (``core.threads.spare_cores``)."""
    from regcli.core.threads import set_threads

    set_threads(threads)


def infinite_cv_warning(cv: Any) -> None:
    """Warn when held-out errors were infinite (a held-out row's predictions overflowed: a
    column holds values far outside the other rows' range); the CSV and JSON show those
    means as empty / null."""
    import numpy as np

    means = [np.asarray(c.cv_mean, dtype=float) for c in cv.curves]
    total = sum(m.size for m in means)
    infinite = sum(int(np.count_nonzero(np.isinf(m))) for m in means)
    if not infinite:
        return
    where = "every alpha" if infinite == total else f"{infinite} of {total} alphas"
    warn(
        f"the cross-validated error is infinite at {where}: predictions for held-out rows "
        "overflowed (a column holds values far outside the other rows' range; rescale or "
        "clip it)" + ("; the alpha chosen says nothing" if infinite == total else "")
    )
