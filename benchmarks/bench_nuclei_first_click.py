"""One click at the centre of each of the first 25 bundled nuclei: mean IoU, per model (full pipeline).

    python benchmarks/bench_nuclei_first_click.py microscopy src/napari_cag/weights/cag_default.safetensors
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import ndimage as ndi


def first_click_iou(model) -> float:
    from napari_cag import Session
    from napari_cag.data import nuclei_2d
    from napari_cag.metrics import iou

    image, labels = nuclei_2d()
    session, ious = Session(image, model=model), []
    for label in np.unique(labels)[1:26]:
        gt = labels == label
        depth = ndi.distance_transform_edt(gt)
        session.reset()
        ious.append(iou(session.add_click(*np.unravel_index(int(depth.argmax()), depth.shape)), gt))
    return float(np.mean(ious))


if __name__ == "__main__":
    for model in sys.argv[1:] or ["auto"]:
        print(f"{model}: mean IoU after one click {first_click_iou(model):.3f}")
