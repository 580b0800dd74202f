"""The coins check of tests/test_shipped_model.py, per model: scikit-image's coins (a grey photograph that
``model="auto"`` gives the microscopy model), 4 simulated clicks on each of the 5 largest coins, mean IoU.

    python benchmarks/bench_coins.py src/napari_cag/weights/microscopy.safetensors checkpoints/gpu_timed/run2/last.safetensors
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import ndimage as ndi
from skimage import data
from skimage.filters import threshold_otsu
from skimage.measure import label
from skimage.morphology import remove_small_objects


def coins_iou(model, clicks: int = 4) -> list[float]:
    from napari_cag import Session
    from napari_cag.metrics import iou
    from napari_cag.simulate import next_click

    image = data.coins()
    objects = label(remove_small_objects(ndi.binary_fill_holes(image > threshold_otsu(image)), max_size=300))
    largest = np.argsort(np.bincount(objects.ravel())[1:])[-5:] + 1
    session, ious = Session(image, model=model), []
    for k in largest:
        gt = objects == k
        session.reset()
        for _ in range(clicks):
            c = next_click(session.mask, gt)
            if c is None:
                break
            session.add_click(c.y, c.x, c.positive)
        ious.append(iou(session.mask, gt))
    return ious


if __name__ == "__main__":
    for model in sys.argv[1:] or ["auto"]:
        ious = coins_iou(model)
        print(f"{model}: mean IoU after 4 clicks {np.mean(ious):.3f} ({', '.join(f'{v:.2f}' for v in ious)})")
