"""A bounded fuzz run: generated tables and options must keep the exit-code contract.

benchmarks/fuzz.py runs the same generator for minutes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.fuzzing import contract_violations, model_texts, option_sets, run_case, tables


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=tables(), args=option_sets(), model=model_texts())
def test_generated_inputs_keep_the_contract(tmp_path_factory, data, args, model):
    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_bytes(data)
    outcome = run_case(str(path), args, model)
    problems = contract_violations(outcome, args)
    assert not problems, (problems, args, data, model[:300], outcome.stderr)
