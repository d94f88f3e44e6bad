"""CI reports: JUnit on rejected data, true counts and times, GitHub escaping and caps,
--require-converged."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from regcli.cli.checks import github_data, github_property
from tests.conftest import SAMPLE

DIABETES = str(SAMPLE / "diabetes.csv")


def test_junit_is_written_when_the_data_is_rejected(cli, tmp_path, write_csv):
    bad = write_csv("a,y\n1,x\n2,y\n3,z\n")
    report = tmp_path / "j.xml"
    r = cli("fit", bad, "--alpha", "1", "--junit", report)
    assert r.exit_code == 65 and r.stderr.count("regcli: error:") == 1
    suite = ET.parse(report).getroot()
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    error = suite.find("testcase/error")
    assert error is not None and "not numeric" in error.get("message")
    missing = tmp_path / "j2.xml"
    r = cli("cv", tmp_path / "nope.csv", "--junit", missing)
    assert r.exit_code == 66 and ET.parse(missing).getroot().get("errors") == "1"


def test_junit_counts_and_times(cli, tmp_path):
    report = tmp_path / "j.xml"
    r = cli(
        "fit",
        DIABETES,
        "--alpha",
        "1",
        "--min-r2",
        "0.1",
        "--require-feature",
        "age",
        "--junit",
        report,
    )
    assert r.exit_code == 1
    suite = ET.parse(report).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    assert float(suite.get("time")) > 0
    assert all(case.get("time") is not None for case in suite.findall("testcase"))


def test_workflow_commands_are_escaped():
    assert github_data("Edu%cation\r\nx") == "Edu%25cation%0D%0Ax"
    assert github_property("regcli fit: a,b") == "regcli fit%3A a%2Cb"


def test_annotations_are_escaped_and_capped(cli, tmp_path, monkeypatch, write_csv):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    names = [f"Edu%c{j}" for j in range(12)]
    rows = "\n".join(
        ",".join(str((i * (j + 3)) % 7) for j in range(12)) + f",{i % 5}" for i in range(40)
    )
    path = write_csv(",".join(names) + ",y\n" + rows + "\n")
    args = [a for n in names for a in ("--sign", f"{n}:+")]
    r = cli("fit", path, "--alpha", "100", *args)
    assert r.exit_code == 1
    annotations = [line for line in r.stderr.splitlines() if line.startswith("::error")]
    assert len(annotations) == 10
    assert all("%25c" in line and "Edu%c" not in line for line in annotations)
    assert "2 more failed checks are not annotated" in r.stderr


def test_require_converged_fails_a_fit_that_misses_its_tolerance(cli):
    ok = cli("fit", DIABETES, "--alpha", "1", "--require-converged", "-f", "json")
    assert ok.exit_code == 0 and ok.json()["checks"][0]["name"] == "converged"
    r = cli(
        "fit",
        DIABETES,
        "--alpha",
        "0.001",
        "--max-iter",
        "1",
        "--tol",
        "1e-12",
        "--require-converged",
        "-f",
        "json",
    )
    assert r.exit_code == 1 and "check failed: converged" in r.stderr
