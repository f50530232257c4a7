"""One way to make every "Try it" widget: controls that redraw a figure.

The figure comes from a pure function in ``course_utils`` (tests call it directly);
this module only wires controls to it, so a test can set a control's value and see
the figure change.
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable


class InteractiveFigure:
    """Controls (ipywidgets) plus an output area that shows ``figure_fn(**values)``.

    When a control changes and ``figure_fn`` raises, the error is shown under the
    controls (in ``message``), the stale figure is cleared, and the controls keep
    working: the next value that draws a figure removes the message. (An error in the
    very first draw is raised, so a broken widget fails its notebook cell and its tests.)

    Attributes:
        controls: ``{argument name: widget}``.
        figure: The last figure drawn (None after a failed redraw).
        error: The exception of the last redraw, or None when it drew a figure.
        message: The HTML widget under the controls that shows ``error``.
        redraws: How many figures have been drawn.
        widget: The ipywidgets box to display (the object itself displays as it too).
    """

    def __init__(self, figure_fn: Callable, controls: dict):
        import ipywidgets as w

        if not callable(figure_fn):
            raise TypeError("figure_fn must be callable")
        if not controls:
            raise ValueError("controls must name at least one widget")
        self.figure_fn = figure_fn
        self.controls = dict(controls)
        self.output = w.Output()
        self.figure = None
        self.error: Exception | None = None
        self.redraws = 0
        self.message = w.HTML(layout=w.Layout(display="none"))
        self.widget = w.VBox([w.HBox(list(self.controls.values())), self.message, self.output])
        self.redraw()  # raises: a figure function that fails at once is a bug to see
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        # Called by ipywidgets: an exception here would only reach JupyterLab's log
        # console, so it is shown to the learner under the controls instead.
        try:
            self.redraw()
        except Exception as exc:
            self._show_error(exc)

    def redraw(self) -> None:
        """Draw ``figure_fn`` with the controls' current values and show it."""
        from IPython.display import display

        self.figure = self.figure_fn(**self.values())
        self.redraws += 1
        self.error = None
        self.message.value = ""
        self.message.layout.display = "none"
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)

    def _show_error(self, exc: Exception) -> None:
        self.error, self.figure = exc, None
        values = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        name = getattr(self.figure_fn, "__name__", "the figure function")
        trace = "".join(traceback.format_exception(exc))
        self.message.value = (
            '<div style="color: #b00020; border-left: 3px solid #b00020; padding-left: 8px">'
            f"<b>{html.escape(name)}({html.escape(values)}) raised "
            f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</b><br>"
            "Change a control to try other values."
            f"<details><summary>Traceback</summary><pre>{html.escape(trace)}</pre></details>"
            "</div>"
        )
        self.message.layout.display = None
        with self.output:
            self.output.clear_output()

    def _repr_mimebundle_(self, **kwargs):
        if hasattr(self.widget, "_repr_mimebundle_"):  # ipywidgets 8
            return self.widget._repr_mimebundle_(**kwargs)
        # ipywidgets 7 (Colab's 7.7) has no _repr_mimebundle_: build the same widget view.
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        return {"text/plain": repr(self.widget), "application/vnd.jupyter.widget-view+json": view}


def interactive_figure(figure_fn: Callable, **controls) -> InteractiveFigure:
    """Wire ipywidgets controls to a figure function: ``figure_fn(**{name: value})``."""
    return InteractiveFigure(figure_fn, controls)
