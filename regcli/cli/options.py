"""Shared command-line options, defined once as Annotated aliases."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer


class Penalty(str, Enum):
    l1 = "l1"
    l2 = "l2"
    elasticnet = "elasticnet"


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class NaMode(str, Enum):
    error = "error"
    drop = "drop"
    mean = "mean"


def _tolerance(value: float) -> float:
    """A KKT tolerance, a share of alpha: below 1 (at 1 a violation as large as alpha itself
    would certify, and beyond it tol x alpha overflows on the way to infinity)."""
    if not 0 < value < 1:
        raise typer.BadParameter("must be a number between 0 and 1 (a share of alpha)")
    return value


def _finite(value: Optional[float]) -> Optional[float]:
    if value is not None and (value != value or value in (float("inf"), float("-inf"))):
        raise typer.BadParameter("must be a finite number")
    return value


DATA = "Input data"
MODEL = "Model"
SOLVER = "Solver"
OUTPUT = "Output"

ModelArgument = Annotated[
    str,
    typer.Argument(metavar="MODEL", help="A model file written by --save.", show_default=False),
]
DataArgument = Annotated[
    str,
    typer.Argument(
        metavar="DATA",
        help="Table to read: .csv, .tsv, .csv.gz, .tsv.gz or .parquet, a directory or a glob "
        "of such files with the same columns (quote it); '-' reads standard input.",
        show_default=False,
    ),
]
TargetOption = Annotated[
    Optional[str],
    typer.Option(
        "--target",
        "-t",
        help="Response column. Default: a column named y or target, else the last.",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
FeaturesOption = Annotated[
    Optional[str],
    typer.Option(
        help="Comma-separated feature columns to use (default: all others).",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
ExcludeOption = Annotated[
    Optional[str],
    typer.Option(
        help="Comma-separated columns to leave out (ids, dates, ...).",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
WeightsOption = Annotated[
    Optional[str],
    typer.Option(
        help="Column of non-negative sample weights (not a feature).",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
NaOption = Annotated[
    NaMode,
    typer.Option(
        "--na",
        help="Missing values: error (name them), drop rows, or mean-impute features.",
        rich_help_panel=DATA,
        case_sensitive=False,
    ),
]
DecimalOption = Annotated[
    str,
    typer.Option(
        "--decimal",
        help="Decimal mark of numbers in delimited text: '.' or ',' (as in 1,5).",
        rich_help_panel=DATA,
    ),
]


class Family(str, Enum):
    gaussian = "gaussian"
    binomial = "binomial"
    poisson = "poisson"


FamilyOption = Annotated[
    Family,
    typer.Option(
        "--family",
        help="gaussian (least squares), binomial (logistic regression on a two-class target) "
        "or poisson (counts), glmnet's families.",
        rich_help_panel=MODEL,
        case_sensitive=False,
    ),
]
PositiveClassOption = Annotated[
    Optional[str],
    typer.Option(
        "--positive-class",
        help="binomial: the class modelled as 1 (default: the second in sorted order, "
        "e.g. 1, true, yes).",
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
PenaltyOption = Annotated[
    Optional[Penalty],
    typer.Option(
        help="l1 (lasso), l2 (ridge) or elasticnet. Default l1, or elasticnet when "
        "--l1-ratio is given.",
        rich_help_panel=MODEL,
        case_sensitive=False,
        show_default=False,
    ),
]
AlphaOption = Annotated[
    Optional[float],
    typer.Option(
        help="Penalty strength (scikit-learn's alpha; glmnet's lambda for the lasso).",
        min=0.0,
        callback=_finite,
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
L1RatioOption = Annotated[
    Optional[float],
    typer.Option(
        "--l1-ratio",
        help="Elastic-net mix: 1 is the lasso, 0 is ridge (default 0.5).",
        min=0.0,
        max=1.0,
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
StandardizeOption = Annotated[
    bool,
    typer.Option(
        "--standardize/--no-standardize",
        help="Scale each feature to unit (weighted) sd before fitting.",
        rich_help_panel=MODEL,
    ),
]
InterceptOption = Annotated[
    bool,
    typer.Option(
        "--intercept/--no-intercept", help="Fit an unpenalized intercept.", rich_help_panel=MODEL
    ),
]
TolOption = Annotated[
    float,
    typer.Option(
        help="Convergence: max KKT violation <= tol x alpha (standardized problem), 0 < tol < 1.",
        callback=_tolerance,
        rich_help_panel=SOLVER,
    ),
]
MaxIterOption = Annotated[
    int,
    typer.Option("--max-iter", help="Most linear solves per alpha.", min=1, rich_help_panel=SOLVER),
]
FormatOption = Annotated[
    Optional[OutputFormat],
    typer.Option(
        "--format",
        "-f",
        help="table, csv or json. Default: table on a terminal, "
        "csv when piped (json for a .json --output).",
        rich_help_panel=OUTPUT,
        case_sensitive=False,
        show_default=False,
    ),
]
OutputOption = Annotated[
    Optional[str],
    typer.Option(
        "--output",
        "-o",
        help="Write the result to this file (atomically) instead of stdout.",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Allow --output to replace an existing file.", rich_help_panel=OUTPUT
    ),
]

PATH = "Path"

AlphasOption = Annotated[
    Optional[str],
    typer.Option(
        help="Explicit comma-separated alphas (solved in descending order; no early stop).",
        rich_help_panel=PATH,
        show_default=False,
    ),
]
NAlphasOption = Annotated[
    int, typer.Option("--n-alphas", help="Points on the default grid.", min=1, rich_help_panel=PATH)
]
EpsOption = Annotated[
    Optional[float],
    typer.Option(
        help="Smallest alpha as a share of alpha_max (default 1e-4 if n >= p, else 1e-2).",
        min=0.0,
        max=1.0,
        rich_help_panel=PATH,
        show_default=False,
    ),
]
PlotOption = Annotated[
    Optional[str],
    typer.Option(
        help="Also draw a plot to this .png, .svg or .pdf file (needs regcli[plot]).",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]

CV = "Cross-validation"


class Select(str, Enum):
    min = "min"
    one_se = "1se"


class Metric(str, Enum):
    mse = "mse"
    mae = "mae"
    r2 = "r2"
    deviance = "deviance"
    class_ = "class"
    auc = "auc"


L1RatiosOption = Annotated[
    Optional[str],
    typer.Option(
        "--l1-ratio",
        help="Elastic-net mix, or several comma-separated (e.g. 0.1,0.5,0.9,1) "
        "compared on the same folds.",
        rich_help_panel=MODEL,
        show_default=False,
    ),
]
FoldsOption = Annotated[
    int, typer.Option("--folds", help="Number of folds K.", min=2, rich_help_panel=CV)
]
SeedOption = Annotated[
    int,
    typer.Option(help="Seed of the fold shuffle (runs repeat exactly).", min=0, rich_help_panel=CV),
]
FoldColOption = Annotated[
    Optional[str],
    typer.Option(
        "--fold-col",
        help="Column of fold ids (then not a feature); overrides --folds.",
        rich_help_panel=CV,
        show_default=False,
    ),
]
GroupColOption = Annotated[
    Optional[str],
    typer.Option(
        "--group-col",
        help="Column of groups: all rows of a group fall in one fold.",
        rich_help_panel=CV,
        show_default=False,
    ),
]
RepeatsOption = Annotated[
    int,
    typer.Option(help="Average the curve over this many fold draws.", min=1, rich_help_panel=CV),
]
MetricOption = Annotated[
    Optional[Metric],
    typer.Option(
        help="CV error: mse, mae or r2 (higher is better) [default: mse]; binomial and "
        "poisson: deviance [default], mse, mae, and for binomial class (misclassification) "
        "and auc (higher is better), as cv.glmnet's type.measure.",
        rich_help_panel=CV,
        case_sensitive=False,
        show_default=False,
    ),
]
SelectOption = Annotated[
    Select,
    typer.Option(
        help="Refit at alpha_min or alpha_1se (largest alpha within one se of the best).",
        rich_help_panel=CV,
    ),
]

GATES = "Checks (CI gates)"

MinR2Option = Annotated[
    Optional[float],
    typer.Option(
        "--min-r2",
        help="Fail (exit 1) when R² is below this: CV R² for cv, training R² for fit.",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
MinAucOption = Annotated[
    Optional[float],
    typer.Option(
        "--min-auc",
        help="binomial: fail (exit 1) when the AUC is below this (training AUC for fit, "
        "held-out for cv with --metric auc).",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
MaxDevianceOption = Annotated[
    Optional[float],
    typer.Option(
        "--max-deviance",
        help="binomial, poisson: fail (exit 1) when the mean deviance is above this "
        "(training for fit, cross-validated for cv).",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
MaxNonzeroOption = Annotated[
    Optional[int],
    typer.Option(
        "--max-nonzero",
        help="Fail when more coefficients than this are nonzero.",
        min=0,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
RequireFeatureOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--require-feature",
        metavar="NAME",
        help="Fail when this feature's coefficient is zero (repeatable).",
        rich_help_panel=GATES,
        show_default=False,
    ),
]
SignOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--sign",
        metavar="NAME:+|-",
        help="NAME:+ or NAME:-: fail unless the coefficient has this sign (repeatable).",
        rich_help_panel=GATES,
        show_default=False,
    ),
]
AssessMinR2Option = Annotated[
    Optional[float],
    typer.Option(
        "--min-r2",
        help="Fail (exit 1) when R² on the assessed rows is below this.",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
MaxMseOption = Annotated[
    Optional[float],
    typer.Option(
        "--max-mse",
        help="Fail (exit 1) when the mean squared error on the assessed rows is above this.",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
MaxMaeOption = Annotated[
    Optional[float],
    typer.Option(
        "--max-mae",
        help="Fail (exit 1) when the mean absolute error on the assessed rows is above this.",
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
SameSupportOption = Annotated[
    bool,
    typer.Option(
        "--same-support",
        help="Fail (exit 1) when a feature entered or left the model.",
        rich_help_panel=GATES,
    ),
]
MaxCoefChangeOption = Annotated[
    Optional[float],
    typer.Option(
        "--max-coef-change",
        help="Fail (exit 1) when a standardized coefficient moved by more than this.",
        min=0.0,
        callback=_finite,
        rich_help_panel=GATES,
        show_default=False,
    ),
]
NoSignFlipOption = Annotated[
    bool,
    typer.Option(
        "--no-sign-flip",
        help="Fail (exit 1) when a coefficient nonzero in both models changed sign.",
        rich_help_panel=GATES,
    ),
]
ChecksOption = Annotated[
    Optional[str],
    typer.Option(
        "--checks",
        help="A TOML file of [[check]] tables (metric, min/max/equals, severity error|warn); "
        "see the README.",
        rich_help_panel=GATES,
        show_default=False,
    ),
]
RequireConvergedOption = Annotated[
    bool,
    typer.Option(
        "--require-converged",
        help="Fail (exit 1) when the fit's KKT certificate misses its tolerance (by default "
        "that is a warning).",
        rich_help_panel=GATES,
    ),
]
JunitOption = Annotated[
    Optional[str],
    typer.Option(
        "--junit",
        help="Write the checks as a JUnit XML report to this file.",
        rich_help_panel=GATES,
        show_default=False,
    ),
]
SaveOption = Annotated[
    Optional[str],
    typer.Option(
        "--save",
        help="Save the fitted model as a JSON model file (for regcli predict).",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]

TestSizeOption = Annotated[
    Optional[float],
    typer.Option(
        "--test-size",
        help="Hold out this seeded fraction of rows and report test error per model.",
        min=0.0,
        max=0.9,
        rich_help_panel=CV,
        show_default=False,
    ),
]


class FoldGrid(str, Enum):
    common = "common"
    own = "own"


FoldGridOption = Annotated[
    FoldGrid,
    typer.Option(
        "--fold-grid",
        help="own (default): each fold solves its own default grid and is interpolated at the "
        "full fit's alphas, as cv.glmnet does (reproduces its numbers). common: every fold "
        "solves the full fit's alphas exactly.",
        rich_help_panel=CV,
        case_sensitive=False,
    ),
]

JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        help="Processes for the fold paths of wide data (p > n; on a Gram the folds are solved "
        "together in one process) and of binomial and Poisson models; 0 (the default) = one "
        "per core (forked on Linux; elsewhere one). Results are identical for any value.",
        min=0,
        rich_help_panel=CV,
    ),
]

ProgressOption = Annotated[
    bool,
    typer.Option(
        "--progress",
        help="Show a progress bar on stderr from the start, even when it is not a terminal "
        "(by default: on a terminal, once the work passes ~2 s).",
        rich_help_panel=OUTPUT,
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress bar and no notes on stderr (warnings and errors still).",
        rich_help_panel=OUTPUT,
    ),
]

FitFoldsOption = Annotated[
    Optional[int],
    typer.Option(
        "--folds",
        help="Without --alpha: folds of the cross-validation that chooses it (default 10).",
        min=2,
        rich_help_panel=CV,
        show_default=False,
    ),
]
FitSeedOption = Annotated[
    Optional[int],
    typer.Option(
        "--seed",
        help="Without --alpha: seed of the fold shuffle (default 0).",
        min=0,
        rich_help_panel=CV,
        show_default=False,
    ),
]
FitSelectOption = Annotated[
    Optional[Select],
    typer.Option(
        "--select",
        help="Without --alpha: refit at alpha_min or alpha_1se (default 1se).",
        rich_help_panel=CV,
        show_default=False,
    ),
]

PENALTY_CONTROLS = "Penalty factors and limits"
PenaltyFactorOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--penalty-factor",
        metavar="NAME=F",
        help="NAME=F[,NAME=F...]: multiply that feature's penalty by F >= 0 (0: unpenalized); "
        "factors are rescaled to sum to the number of features, as glmnet's penalty.factor. "
        "A one-hot column's name applies to all its levels. Repeatable.",
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]
UnpenalizedOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--unpenalized",
        metavar="NAMES",
        help="a,b: never penalize these features (penalty factor 0): always in the model.",
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]
LowerOption = Annotated[
    Optional[str],
    typer.Option(
        "--lower",
        metavar="V|NAME=V",
        help="V, or NAME=V[,NAME=V...]: lower limit of the coefficients (V <= 0) on the "
        "original scale, as glmnet's lower.limits.",
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]
UpperOption = Annotated[
    Optional[str],
    typer.Option(
        "--upper",
        metavar="V|NAME=V",
        help="V, or NAME=V[,NAME=V...]: upper limit of the coefficients (V >= 0), as glmnet's "
        "upper.limits.",
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]
PositiveOption = Annotated[
    bool,
    typer.Option(
        "--positive",
        help="Non-negative coefficients (--lower 0), as scikit-learn's positive=True.",
        rich_help_panel=PENALTY_CONTROLS,
    ),
]

RelaxOption = Annotated[
    bool,
    typer.Option(
        "--relax",
        help="The relaxed lasso (glmnet's relax = TRUE): gamma x penalized + (1 - gamma) x the "
        "unpenalized refit on the penalized fit's support.",
        rich_help_panel=PENALTY_CONTROLS,
    ),
]
GammaOption = Annotated[
    Optional[float],
    typer.Option(
        "--gamma",
        help="With --relax: the weight of the penalized fit (0: the refit alone).  [default: 0]",
        min=0.0,
        max=1.0,
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]
GammasOption = Annotated[
    Optional[str],
    typer.Option(
        "--gamma",
        metavar="G[,G...]",
        help="With --relax: gammas to cross-validate jointly with alpha.  "
        "[default: 0,0.25,0.5,0.75,1]",
        rich_help_panel=PENALTY_CONTROLS,
        show_default=False,
    ),
]


class Criterion(str, Enum):
    aic = "aic"
    bic = "bic"
    ebic = "ebic"


CriterionOption = Annotated[
    Optional[Criterion],
    typer.Option(
        "--select",
        help="Pick the path point minimizing this information criterion (df = nonzeros + "
        "intercept; EBIC with gamma 0.5, for p > n) and report its model.",
        case_sensitive=False,
        show_default=False,
    ),
]


class Engine(str, Enum):
    local = "local"
    stream = "stream"
    dask = "dask"
    auto = "auto"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="local: read the table into memory; stream: two passes over its record batches "
        "into sufficient statistics, memory independent of the rows (gaussian; p within the "
        "Gram limit); dask: the same passes on a Dask cluster's workers, a file each "
        '(pip install "regcli[dask]"); auto: stream when the decoded table would exceed '
        "--memory-limit, else local.",
        rich_help_panel=DATA,
        case_sensitive=False,
    ),
]
MemoryLimitOption = Annotated[
    Optional[str],
    typer.Option(
        "--memory-limit",
        help="--engine auto: the decoded size above which the table is streamed, in bytes or "
        "with K, M, G (default: a quarter of this machine's memory).",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
SchedulerOption = Annotated[
    Optional[str],
    typer.Option(
        "--scheduler",
        envvar="DASK_SCHEDULER_ADDRESS",
        help="--engine dask: the scheduler's address (tcp://host:8786); without it a local "
        "cluster of two worker processes is started.",
        rich_help_panel=DATA,
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="--engine dask: seconds to wait for the scheduler before giving up (exit 69).",
        min=0.1,
        rich_help_panel=DATA,
    ),
]
ThreadsOption = Annotated[
    Optional[int],
    typer.Option(
        "--threads",
        help="BLAS threads for the large products (default: the cores other processes leave "
        "idle; also REGCLI_THREADS).",
        min=1,
        show_default=False,
    ),
]
