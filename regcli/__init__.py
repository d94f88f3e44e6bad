"""regcli: penalized linear models (lasso, ridge, elastic net) from the command line."""

import os as _os

__version__ = "0.1.0"

#: OpenBLAS's idle worker threads busy-wait 2^n cycles for more work before they sleep.  Its
#: default (2^28, about 0.1 s) has the threads it starts again in every process after a fork
#: (``core.parallel``) spin against regcli's own worker processes; 2^20 is well under a
#: millisecond.  OpenBLAS reads it when it loads, so it is set here, before NumPy is imported
#: (a value the user set is kept).
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")
