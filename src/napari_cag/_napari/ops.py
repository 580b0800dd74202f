"""The widget's queued operations and the worker function that applies them (no Qt here).

Operations are applied in order on the sessions of one image; between two of them
the worker yields, so closing the viewer stops it there. Only the newest state is
returned, so a click that arrives during a prediction supersedes the one before.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..clicks import Click
from .edit import EditSession
from .translate import SliceIndex

__all__ = ["Op", "Result", "apply_ops"]


@dataclass
class Op:
    """One thing to do on the session of plane `index`.

    kind: ``prepare`` (structure only), ``click``, ``undo``, ``reset`` (to the object's
    start: nothing, or the edited object as committed), ``clear`` (drop the object and
    any edit), ``edit`` (start from `edit` = (label, mask)), ``commit``.
    """

    kind: str
    index: SliceIndex
    click: Click | None = None
    plane: np.ndarray | None = field(default=None, repr=False)
    limits: tuple | None = None
    edit: tuple[int, np.ndarray] | None = field(default=None, repr=False)


@dataclass
class Result:
    name: str
    index: SliceIndex | None = None
    region: tuple[int, int] = (0, 0)
    mask: np.ndarray | None = None
    maps: dict | None = None
    commits: list = field(default_factory=list)  # (index, origin, mask in view, label or None)
    warnings: list[str] = field(default_factory=list)


def apply_ops(ops: list[Op], name: str, sessions: dict, edits: dict, make_session: Callable,
              guidance: Callable | None = None):
    """Worker thread: apply `ops` to the sessions of image `name`; returns a `Result`.

    `sessions` and `edits` map ``(name, index)`` to the plane's `Session` and to the
    `EditSession` of an object being edited there; `make_session(plane, limits)` makes a
    session, `guidance(view, clicks, mask)` the maps to show (None: none).
    """
    result, shown = Result(name), None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for op in ops:
            key = (name, op.index)
            if key not in sessions:
                if op.plane is None:
                    continue  # queued for a session that a settings change has since dropped
                sessions[key] = make_session(op.plane, op.limits)
            session = sessions[key]
            if op.kind == "edit":
                edits[key] = EditSession(session, *op.edit)
            elif op.kind == "clear":
                edits.pop(key, None)
                session.reset()
            current = edits.get(key, session)
            if op.kind == "click":
                current.add_click(op.click.y, op.click.x, op.click.positive)
            elif op.kind == "undo":
                current.undo()
            elif op.kind == "reset":
                current.reset()
            elif op.kind == "commit":
                if current.clicks or current is not session:
                    view = current.view
                    label = current.label if current is not session else None
                    result.commits.append((op.index, (view.y0, view.x0), current.view_mask(), label))
                edits.pop(key, None)
                session.reset()
                current = session
            shown = (op.index, current)
            yield  # a quit (the viewer closing) stops here
        if shown is not None:
            result.index, current = shown
            view, result.mask = current.view, current.view_mask()
            if view is not None:
                result.region = (view.y0, view.x0)
                if guidance is not None:
                    result.maps = guidance(view, current.clicks, result.mask)
    result.warnings = list(dict.fromkeys(str(w.message) for w in caught))
    return result
