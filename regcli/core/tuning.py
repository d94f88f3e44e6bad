"""Every performance-tuning constant of the core, in one place.

These decide which solver route runs (``dispatch``) and the sizes the kernels work in.  None of
them changes a result beyond rounding: each was set by timing alternatives on glmnet's designs
(benchmarks/ and docs/solvers.md say how).  Numerical definitions (glmnet's early-stop rules,
KKT tolerances, the rank cut-offs of factorizations) stay beside the code they define.
"""

from __future__ import annotations

# --- statistics source -------------------------------------------------------------------------
#: A dense p x p Gram is formed when p <= n and p <= this many columns; else X~ is kept (lazy).
GRAM_MAX_FEATURES = 2500

# --- routes ------------------------------------------------------------------------------------
#: The lasso homotopy runs on wide lazy data (p >= n) with at most this many samples per grid
#: point: its kinks grow with n, the active-set path's solves with the grid.
HOMOTOPY_SAMPLES_PER_POINT = 2.0
#: The dual (n x n, Woodbury) factor serves the elastic net on lazy data from this many active
#: features per sample on; below, the |A| x |A| factor is cheaper.
DUAL_FACTOR_FROM = 0.8
#: ... and while lam2 is at least this share of ||X~_A X~_A'|| (bounded by |A| times the largest
#: squared column norm): its solution (r - X~_A'u) / lam2 divides by lam2 what the cancellation
#: leaves, so the gradient it gives errs by about eps ||K|| / lam2 of alpha (a y in units so
#: small that alpha is 1e-80 while the columns are standardized made it 1e+177).
DUAL_MIN_SHIFT = 1e-8
#: The dual form's factor of K + lam2 I serves later active sets and alphas (core/dual.py) while
#: at most this many features entered or left since it was made (the Woodbury capacitance) ...
DUAL_MAX_CHANGES = 32
#: ... lam2 is at least this share of the factor's (conjugate gradients for the shift) ...
DUAL_PCG_MIN_SHIFT_RATIO = 0.5
#: ... and they converge within this many iterations (each about 1/20 of a factorization at
#: n = 1000); a solve that took more than this many renews the factor for the next one.
DUAL_PCG_MAX_ITERATIONS = 40
DUAL_PCG_RENEW_ITERATIONS = 8
#: Below this many samples the dual form factors K + lam2 I afresh after every change instead.
DUAL_PCG_MIN_SAMPLES = 300
#: Rank updates of the dual K after which it is recomputed from the active columns.
DUAL_RECOMPUTE_UPDATES = 1024
#: The dual form's preconditioning factor is made in single precision while (trace(K) + lam2) /
#: lam2, a bound on the condition number of K + lam2 I, stays below this (its rounding error
#: then stays below ~6e-2 relative: conjugate gradients still converge in a few iterations).
SINGLE_MAX_CONDITION = 1e6
#: Iterations at the lam2 of a fresh single-precision factor beyond which it is given up.
SINGLE_MAX_ITERATIONS = 4

# --- active-set kernel -------------------------------------------------------------------------
#: n x p from which a round first looks for violators in the strong set, before a full check.
STRONG_ROUNDS_MIN_SIZE = 800_000
#: Violators added per round (fewer on large lazy problems, where each entering feature that
#: leaves again costs O(n |A|)).
ADD_PER_ROUND = 10
ADD_PER_ROUND_LARGE_LAZY = 6
#: ... and more in the dual form, where a feature enters and leaves in O(n^2).
ADD_PER_ROUND_DUAL = 16
#: Most features predicted to enter at an alpha on the lazy source (the strongest): this share
#: of the rows, and at least the minimum.
PREDICTED_ENTERING_SHARE = 0.25
PREDICTED_ENTERING_MIN = 32
#: In the dual form (where a feature that enters and leaves again costs O(n^2), a missed one
#: another round) the prediction takes features whose extrapolated push comes within this
#: share of lam1.
DUAL_ENTRY_MARGIN = 0.002
#: Solves per alpha after which a contradicted sign drops that feature alone (Lawson-Hanson)
#: instead of every such feature at once.
DROP_ALL_ROUNDS = 3
#: Columns up to which A @ M runs as one matrix-vector product per column (gemm packs first).
THIN_COLUMNS = 4
#: Products with a matrix of at least this many entries run on every BLAS thread.
THREADED_FROM = 500_000
#: Lazy statistics from this many entries of X~ keep a single-precision copy for the
#: certificate's gradient (``LazyStats.screened_gradient``), once it has been asked for
#: ``SCREENED_AFTER`` times (a short path does not pay for the copy).
SCREENED_GRADIENT_FROM = 2_000_000
SCREENED_AFTER = 4
#: The same for the certificate's gradient of a binomial or Poisson path (one full product
#: per point, with little else on the rows between them).
GLM_SCREENED_FROM = 200_000

# --- batched paths (cv folds and l1 ratios advanced together on Grams) --------------------------
#: Primal-dual active-set rounds per point before a problem goes to the exact solver.
BATCH_MAX_ROUNDS = 8
#: From this largest active set on, one Cholesky solve per problem beats the batched LU.
BATCH_CHOLESKY_FROM = 16
#: Problems with at most this many inactive features use the spectral (dense-end) solves ...
SPECTRAL_INACTIVE = 24
#: ... up to this many features ...
SPECTRAL_MAX_FEATURES = 500
#: ... where G + lam2 I has a condition number up to this.
SPECTRAL_MAX_CONDITION = 1e6
#: Bytes of distinct Grams one batch may stack.
BATCH_GRAM_BYTES = 512 * 2**20

# --- cross-validation -----------------------------------------------------------------------------
#: Lazy-source cv runs its folds in worker processes only when one path takes this long.
PARALLEL_MIN_SECONDS = 0.25
#: Rows per chunk of the one pass that sums every fold's statistics.
FOLD_CHUNK_ROWS = 32768

# --- every iterative solver -----------------------------------------------------------------------
#: Rounds of one solve (a solve, a check, entering features) are bounded by --max-iter through
#: the solves; this cap bounds them whatever happens (NaN in the statistics, a stalled round).
HARD_ROUNDS_FACTOR = 4
HARD_ROUNDS_EXTRA = 1000

# --- general-penalty active set ------------------------------------------------------------------
#: KKT violators that enter the free set per round.
GENERAL_ADD_PER_ROUND = 10
#: Bytes the lazy source's cache of Gram entries may take along one path.
GENERAL_CACHE_BYTES = 256 * 2**20
#: Rounds of holding features at the limits they cross (and freeing those the KKT conditions
#: release) per alpha on the scalar solver's box route, before the general solver takes it.
BOX_ROUNDS = 8

# --- binomial and Poisson (proximal Newton, core/glm.py) -----------------------------------------
#: A Newton step after the first of a point reuses the latest weighted Gram (exact gradient,
#: line-searched; its Cholesky factor too while the active set stays) where the steps needed at
#: the last step's rate of decrease (below STALE_MODEL_MAX_RATE) cost less than a fresh Gram
#: and one step.  Costs in one unit, calibrated on bench_glm's designs: a step's fixed share
#: (the interpreter) and its share per row and working-set column (two memory-bound passes); a
#: fresh Gram's per multiply-add (BLAS-3: two per unit) and per row and column (the one pass
#: that weighs them, which dominates on tall designs such as 100000 x 50).
STALE_MODEL_MAX_RATE = 0.1
STEP_OVERHEAD = 1.25e6
STEP_ROW_COST = 7.5
GRAM_MULTIPLY_ADD_COST = 0.5
GRAM_ROW_COST = 3.75
#: A working set with at least this share of the columns is read in place (products over every
#: column) instead of gathered once per point; the gradient on every column then comes with it.
IN_PLACE_SHARE = 0.6
#: Rounds of the primal-dual update of a Newton step's sign-fixed solve (features whose sign the
#: solve contradicts leave, KKT violators enter with their gradient's sign) before the
#: active-set core is asked.
SIGN_FIXED_ROUNDS = 3
#: On wide data a Newton working set takes at most max(n, 2 |nonzero| + WORK_SET_EXTRA) features
#: at once (the strong ones with the largest gradient first); KKT violators join in rounds.
WORK_SET_EXTRA = 50
#: A weighted Gram of at least this many multiply-adds (n |S|^2) is formed on every thread.
GRAM_THREADS_FROM = 2e7


def gram_chunk_rows(p: int) -> int:
    """Rows per syrk call when a Gram is accumulated: few for narrow X (the chunk's copy stays
    in cache), many for wide X (each call also reads and writes the p x p output)."""
    return int(min(32768, max(2048, 32 * p)))
