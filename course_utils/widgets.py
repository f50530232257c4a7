"""One way to make every "Try it" widget: controls that redraw a figure.

The figure comes from a pure function in ``course_utils`` (tests call it directly);
this module only wires controls to it, so a test can set a control's value and see
the figure change.
"""

from __future__ import annotations

from collections.abc import Callable


class InteractiveFigure:
    """Controls (ipywidgets) plus an output area that shows ``figure_fn(**values)``.

    Attributes:
        controls: ``{argument name: widget}``.
        figure: The last figure drawn.
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
        self.redraws = 0
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values())), self.output])
        self.redraw()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        from IPython.display import display

        self.figure = self.figure_fn(**self.values())
        self.redraws += 1
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)

    def _repr_mimebundle_(self, **kwargs):
        if hasattr(self.widget, "_repr_mimebundle_"):  # ipywidgets 8
            return self.widget._repr_mimebundle_(**kwargs)
        # ipywidgets 7 (Colab's 7.7) has no _repr_mimebundle_: build the same widget view.
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        return {"text/plain": repr(self.widget), "application/vnd.jupyter.widget-view+json": view}


def interactive_figure(figure_fn: Callable, **controls) -> InteractiveFigure:
    """Wire ipywidgets controls to a figure function: ``figure_fn(**{name: value})``."""
    return InteractiveFigure(figure_fn, controls)
