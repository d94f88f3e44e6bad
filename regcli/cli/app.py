"""The Typer application and the process entry point.

Command modules import only typer and the option aliases at load time; NumPy, SciPy, pandas and
rich are imported inside the command functions, so `regcli --help` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from regcli import __version__
from regcli.cli.compare import compare_command
from regcli.cli.cv import cv_command
from regcli.cli.fit import fit_command
from regcli.cli.path import path_command
from regcli.cli.predict import predict_command

app = typer.Typer(
    name="regcli",
    help="Penalized linear models (lasso, ridge, elastic net) on CSV and Parquet tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: typer.rich_utils costs ~0.18 s at start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"regcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool],
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    """Penalized linear models (lasso, ridge, elastic net) on CSV and Parquet tables."""
    _state["debug"] = debug


app.command("fit", no_args_is_help=True)(fit_command)
app.command("path", no_args_is_help=True)(path_command)
app.command("cv", no_args_is_help=True)(cv_command)
app.command("compare", no_args_is_help=True)(compare_command)
app.command("predict", no_args_is_help=True)(predict_command)


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"regcli: error: {message}\n")
    sys.stderr.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and a documented exit code."""
    from regcli.errors import RegcliError

    args = sys.argv[1:] if argv is None else list(argv)
    _state["debug"] = "--debug" in args
    try:
        result = app(args=args, prog_name="regcli", standalone_mode=False)
    except RegcliError as exc:
        if _state["debug"]:
            raise
        return _fail(exc.exit_code, str(exc))
    except (KeyboardInterrupt, BrokenPipeError) as exc:
        return 0 if isinstance(exc, BrokenPipeError) else _fail(130, "interrupted")
    except Exception as exc:
        # click's exceptions (vendored inside typer or not) are recognized by their class names
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        ctx = getattr(exc, "ctx", None)
        if "NoArgsIsHelpError" in kinds:  # typer has already shown the help
            return 0
        if "Abort" in kinds:
            return _fail(130, "interrupted")
        if _state["debug"]:
            raise
        if "UsageError" in kinds and hasattr(exc, "format_message"):
            where = f"{ctx.command_path}: " if ctx is not None else ""
            return _fail(2, where + " ".join(exc.format_message().split()))
        # an internal error: one line, exit 70
        return _fail(70, f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)")
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
