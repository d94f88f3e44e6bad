"""The Typer application and the process entry point.

Command modules import only typer and the option aliases at load time; NumPy, SciPy, pandas and
rich are imported inside the command functions, so `regcli --help` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from regcli import __version__
from regcli.cli.assess import assess_command
from regcli.cli.compare import compare_command
from regcli.cli.cv import cv_command
from regcli.cli.diff import diff_command
from regcli.cli.fit import fit_command
from regcli.cli.path import path_command
from regcli.cli.predict import predict_command

app = typer.Typer(
    name="regcli",
    help="Penalized linear models (lasso, ridge, elastic net) on CSV and Parquet tables.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: typer.rich_utils is slow to import
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


COMMANDS = {
    "fit": fit_command,
    "path": path_command,
    "cv": cv_command,
    "compare": compare_command,
    "predict": predict_command,
    "assess": assess_command,
    "diff": diff_command,
}
for _name, _function in COMMANDS.items():
    app.command(_name)(_function)  # type: ignore[type-var]


def _fail(code: int, message: str) -> int:
    from regcli.cli.messages import printable

    sys.stderr.write(f"regcli: error: {printable(message)}\n")
    sys.stderr.flush()
    return code


def _help_text(command: str | None) -> str:
    """The help of the whole app, or of one command, as click formats it."""
    cli = typer.main.get_command(app)
    with cli.make_context("regcli", [], resilient_parsing=True) as ctx:
        if command is None:
            return ctx.get_help()
        sub = cli.get_command(ctx, command)  # type: ignore[attr-defined]
        with sub.make_context(command, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            return sub_ctx.get_help()


def _no_arguments(args: list[str]) -> int | None:
    """Bare `regcli` prints the help (exit 0); a bare command prints its help on stderr and
    exits 2, as click does for a missing argument. None when there are arguments to run."""
    if not args:
        sys.stdout.write(_help_text(None) + "\n")
        return 0
    if len(args) == 1 and args[0] in COMMANDS:
        sys.stderr.write(_help_text(args[0]) + "\n")
        sys.stderr.write(f"regcli: error: {args[0]}: missing DATA (see the help above)\n")
        return 2
    return None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # type: ignore[no-untyped-def]
    """A library warning as one `regcli: warning:` line, without source paths."""
    from regcli.cli.messages import printable

    text = " ".join(str(message).split())
    sys.stderr.write(f"regcli: warning: {printable(text)}\n")


def _raise_interrupted(signum: int, frame: object) -> None:
    from regcli.errors import Interrupted

    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and a documented exit code."""
    import signal
    import threading
    import warnings

    args = sys.argv[1:] if argv is None else list(argv)
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, _raise_interrupted)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return _run(args)
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)


def _run(args: list[str]) -> int:
    import signal

    from regcli.cli.checks import disarm
    from regcli.cli.messages import discard_deferred
    from regcli.errors import Interrupted, OutputError, RegcliError

    _state["debug"] = "--debug" in args
    discard_deferred()
    disarm()  # a JUnit report armed by an earlier run in this process is not this run's
    try:
        shown = _no_arguments(args)
        if shown is not None:
            return shown
        result = app(args=args, prog_name="regcli", standalone_mode=False)
        sys.stdout.flush()
    except Interrupted as exc:
        if exc.signum == signal.SIGTERM:
            return _fail(143, "terminated")
        return _fail(130, "interrupted")
    except RegcliError as exc:
        if _state["debug"]:
            raise
        _junit_error(exc)
        return _fail(exc.exit_code, str(exc))
    except KeyboardInterrupt:
        return _fail(130, "interrupted")
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except OSError as exc:
        if _state["debug"]:
            raise
        _quiet_stdout()
        error = OutputError(f"cannot write output ({exc.strerror or exc})")
        return _fail(error.exit_code, str(error))
    except Exception as exc:
        # click's exceptions (vendored inside typer or not) are recognized by their class names
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        ctx = getattr(exc, "ctx", None)
        if "NoArgsIsHelpError" in kinds:
            sys.stderr.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
            return 2
        if "Abort" in kinds:
            return _fail(130, "interrupted")
        if _state["debug"]:
            raise
        if "UsageError" in kinds and hasattr(exc, "format_message"):
            where = f"{ctx.command_path}: " if ctx is not None else ""
            return _fail(2, where + usage_message(exc.format_message()))
        # an internal error: one line, exit 70
        text = " ".join(str(exc).split())[:300]
        return _fail(70, f"internal error: {type(exc).__name__}: {text} (rerun with --debug)")
    if result == 130:  # typer's own translation of KeyboardInterrupt
        return _fail(130, "interrupted")
    return result if isinstance(result, int) else 0


#: Options users bring from glmnet or scikit-learn, and what regcli calls them.
OPTION_HINTS = {
    "--lambda": "--alpha (glmnet's lambda is regcli's alpha; see the README)",
    "--lambdas": "--alphas",
    "--nlambda": "--n-alphas",
    "--alpha-ratio": "--l1-ratio",
    "--nfolds": "--folds",
    "--cv": "--folds",
    "--random-state": "--seed",
    "--l1_ratio": "--l1-ratio",
    "--max_iter": "--max-iter",
    "--n_alphas": "--n-alphas",
}
PENALTY_HINT = "(the lasso is l1, ridge is l2)"


def usage_message(text: str) -> str:
    """click's usage message on one line, with a hint where a glmnet or scikit-learn name was
    used."""
    line = " ".join(text.split()).replace("Value error, ", "")
    for option, ours in OPTION_HINTS.items():
        if f"No such option: {option}" in line:
            return f"{line.split(' (Possible')[0]}; did you mean {ours}?"
    if "'--penalty'" in line and any(w in line for w in ("'lasso'", "'ridge'", "'enet'")):
        return f"{line} {PENALTY_HINT}"
    return line


def _junit_error(exc: Exception) -> None:
    """A data or input error still gets the JUnit report that --junit asked for."""
    from regcli.cli import checks
    from regcli.errors import RegcliError

    try:
        checks.report_error(str(exc), getattr(exc, "exit_code", 70))
    except (RegcliError, OSError):
        pass  # the error being reported is the one to exit with
    finally:
        checks.disarm()


def _quiet_stdout() -> None:
    """After a failed write to stdout, keep the interpreter's final flush from failing again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
