"""regcli: penalized linear models (lasso, ridge, elastic net) from the command line."""

__version__ = "0.1.0"
