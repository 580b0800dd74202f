"""napari-cag: click-based interactive instance segmentation with content-aware guidance.

Implements Majumder & Yao, "Content-Aware Multi-Level Guidance for Interactive
Instance Segmentation" (CVPR 2019). The core (this package minus ``_napari``)
imports neither Qt nor napari.
"""

from . import guidance
from .adaptation import Adaptation, adapt
from .clicks import Click
from .session import Session, segment
from .structure import ImageStructure, compute_structure

__all__ = ["Adaptation", "Click", "ImageStructure", "Session", "adapt", "compute_structure", "guidance", "segment"]
__version__ = "0.1.0"
