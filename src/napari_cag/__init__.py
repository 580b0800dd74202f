"""napari-cag: click-based interactive instance segmentation with content-aware guidance.

Implements Majumder & Yao, "Content-Aware Multi-Level Guidance for Interactive
Instance Segmentation" (CVPR 2019). The core (this package minus ``_napari``)
imports neither Qt nor napari.
"""

from . import guidance
from .clicks import Click
from .structure import ImageStructure, compute_structure

__all__ = ["Click", "ImageStructure", "compute_structure", "guidance"]
__version__ = "0.1.0"
