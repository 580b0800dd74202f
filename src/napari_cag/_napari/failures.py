"""Errors of the widget's generator workers, passed on so that the widget hears of every one.

superqt's generator worker takes a `RuntimeError` from its generator for the
sign of a deleted Qt object: it warns and emits neither ``errored`` nor
``returned``. A torch error (CUDA out of memory, a device that cannot be used)
is a `RuntimeError`, so the widget waited forever for a click's worker
(`napari_cag._napari.ops.apply_ops`) or a propagation that had ended, and every
later click stayed queued. `reported` hands such an error on as `WorkFailed`,
which `describe` shows under the original's name. (A plain function's worker,
as for adapting, reports a `RuntimeError` as it is.)
"""

from __future__ import annotations

import functools
import inspect

__all__ = ["WorkFailed", "reported", "describe"]


class WorkFailed(Exception):
    """A worker's `RuntimeError`, under a type that superqt reports."""

    def __init__(self, error: RuntimeError):
        super().__init__(f"{type(error).__name__}: {error}")


def reported(work):
    """Generator function `work`, with a `RuntimeError` from it raised as `WorkFailed`."""
    if not inspect.isgeneratorfunction(work):
        raise TypeError(f"{work.__name__} is not a generator function")

    @functools.wraps(work)
    def walk(*args, **kwargs):
        try:
            return (yield from work(*args, **kwargs))
        except RuntimeError as err:
            raise WorkFailed(err) from err
    return walk


def describe(err: Exception) -> str:
    """``"Type: message"`` of a worker's error, the original's type for a `WorkFailed`."""
    return str(err) if isinstance(err, WorkFailed) else f"{type(err).__name__}: {err}"
