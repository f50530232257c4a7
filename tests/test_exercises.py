"""Every exercise: the reference solution passes, a typical mistake fails with a hint,
and an untouched stub answers "not tried yet"."""

import inspect

import pytest

from course_utils import checks

REGISTRY = checks.load_all()
IDS = sorted(REGISTRY)


def test_exercises_exist():
    assert IDS


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes(exercise_id):
    ex = REGISTRY[exercise_id]
    result = ex.check(ex.solution())
    assert result.status == checks.RIGHT, str(result)


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answer_fails_with_a_hint(exercise_id):
    ex = REGISTRY[exercise_id]
    result = ex.check(ex.wrong_answer())
    assert result.status == checks.WRONG and "Hint" in result.message, str(result)


@pytest.mark.parametrize("exercise_id", IDS)
def test_stub_is_not_tried(exercise_id):
    """A notebook's stub is ``...`` or, where the answer is a function, a function whose
    body raises NotImplementedError: both answer "not tried yet", never "wrong"."""
    ex = REGISTRY[exercise_id]
    assert ex.check(...).status == checks.NOT_TRIED
    assert ex.check(None).status == checks.NOT_TRIED
    if inspect.isfunction(ex.solution()):

        def stub(*args, **kwargs):
            raise NotImplementedError

        result = ex.check(stub)
        assert result.status == checks.NOT_TRIED, str(result)


def test_result_prints_and_is_falsy_unless_right():
    r = checks.Result("x", checks.WRONG, "Hint: h")
    assert not r and "Not yet" in str(r)
    assert checks.Result("x", checks.RIGHT, "ok")


@pytest.mark.parametrize("exercise_id", IDS)
def test_show_solution_gives_that_exercises_reference_source(exercise_id):
    source = checks.show_solution(exercise_id)
    assert source == inspect.getsource(REGISTRY[exercise_id].solution)
    name = REGISTRY[exercise_id].solution.__name__
    assert f"def {name}(" in source or (name == "<lambda>" and "solution=lambda" in source)


def test_show_solution_of_an_unknown_id():
    with pytest.raises(ValueError, match="unknown exercise"):
        checks.show_solution("99.9")


@pytest.mark.parametrize("exercise_id", IDS)
def test_shown_solution_calls_no_private_helper(exercise_id):
    # A learner pastes the shown solution into the notebook, which has no `_helper`s.
    import re

    source = checks.show_solution(exercise_id)
    calls = set(re.findall(r"(?<![\w.])(_[A-Za-z]\w*)\(", source))
    calls.discard(REGISTRY[exercise_id].solution.__name__)  # its own def line
    assert not calls, f"{exercise_id}'s solution calls {sorted(calls)}, which no notebook has"


@pytest.mark.parametrize(
    ("answer", "named"),
    [((0.01, 0.05), "(b) is"), ((0.02, 0.025), "(a) is"), ((0.02, 0.05), "(a) and (b) are")],
)
def test_hint_of_02_4_names_the_wrong_answer(answer, named):
    result = REGISTRY["02.4"].check(answer)
    assert result.status == checks.WRONG and named in result.message, str(result)
