"""The course's exercise pattern: a checker answers right, wrong (with a hint) or
"not tried yet".

An exercise stub in a notebook is left as ``...`` (Ellipsis) or as a function whose
body raises ``NotImplementedError``: its checker then answers "not tried yet", and
the notebook still runs top to bottom.

Each notebook's exercises live in a module of :mod:`course_utils.exercises` and are
declared with :func:`exercise`, which records the checker together with a reference
solution and a typical wrong answer, so the tests can prove all three behaviours.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

RIGHT = "right"
WRONG = "wrong"
NOT_TRIED = "not tried"


class Wrong(Exception):
    """Raised by a verifier: the answer is wrong; the message is the hint."""


@dataclass(frozen=True)
class Result:
    """What a checker says. ``bool(result)`` is True only when the answer is right."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def __str__(self) -> str:
        mark = {RIGHT: "✅ Right", WRONG: "❌ Not yet", NOT_TRIED: "⏳ Not tried yet"}[self.status]
        return f"{mark} ({self.exercise}): {self.message}"

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def __repr__(self) -> str:
        return str(self)


@dataclass
class Exercise:
    """A registered exercise: its checker, reference solution and a known wrong answer."""

    id: str
    title: str
    check: Callable[..., Result]
    solution: Callable[[], object]
    wrong_answer: Callable[[], object]


REGISTRY: dict[str, Exercise] = {}


def _is_stub(answer) -> bool:
    return answer is ... or answer is None


def exercise(
    id: str, title: str, *, solution: Callable[[], object], wrong_answer: Callable[[], object]
):
    """Declare a checker. The decorated ``verify(answer)`` raises :class:`Wrong` with a hint,
    or returns a short message (or None) when the answer is right.

    ``solution()`` and ``wrong_answer()`` return the reference and a typical mistake.
    """

    def decorate(verify: Callable) -> Callable[..., Result]:
        @functools.wraps(verify)
        def check(answer=...) -> Result:
            if _is_stub(answer):
                return Result(
                    id, NOT_TRIED, "replace the ... with your answer, then run this cell again."
                )
            try:
                message = verify(answer)
            except NotImplementedError:
                return Result(
                    id,
                    NOT_TRIED,
                    "your function still raises NotImplementedError; fill in its body.",
                )
            except Wrong as exc:
                return Result(id, WRONG, f"Hint: {exc}")
            # a learner's bug: say what happened, do not crash the notebook
            except Exception as exc:
                return Result(id, WRONG, f"your answer raised {type(exc).__name__}: {exc}")
            return Result(id, RIGHT, message or "well done.")

        if id in REGISTRY:
            raise ValueError(f"exercise id {id!r} is declared twice")
        REGISTRY[id] = Exercise(id, title, check, solution, wrong_answer)
        return check

    return decorate


def show_solution(exercise_id: str) -> str:
    """The source of an exercise's reference solution, for instructors and stuck learners."""
    import inspect

    if exercise_id not in REGISTRY:
        load_all()  # the notebook may not have imported that exercise module yet
    if exercise_id not in REGISTRY:
        raise ValueError(f"unknown exercise {exercise_id!r}; known: {sorted(REGISTRY)}")
    return inspect.getsource(REGISTRY[exercise_id].solution)


def load_all() -> dict[str, Exercise]:
    """Import every module of :mod:`course_utils.exercises` and return the registry."""
    import importlib
    import pkgutil

    import course_utils.exercises as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")
    return REGISTRY
