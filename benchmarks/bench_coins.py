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
    from napari_cag.evaluate import LabelledObject, run_protocol

    image = data.coins()
    objects = label(remove_small_objects(ndi.binary_fill_holes(image > threshold_otsu(image)), max_size=300))
    largest = np.argsort(np.bincount(objects.ravel())[1:])[-5:] + 1
    session = Session(image, model=model)
    results = run_protocol([LabelledObject("coins", image, objects, int(k)) for k in largest],
                           lambda sample: session, max_clicks=clicks)
    return [r.ious[-1] for r in results]

if __name__ == "__main__":
    for model in sys.argv[1:] or ["auto"]:
        ious = coins_iou(model)
        print(f"{model}: mean IoU after 4 clicks {np.mean(ious):.3f} ({', '.join(f'{v:.2f}' for v in ious)})")
