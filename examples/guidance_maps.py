"""Draw the paper's Fig. 3 for a real image: clicks and the guidance maps they produce.

Run ``python examples/guidance_maps.py [output.png]``; it needs only the
scikit-image sample images, which ship with scikit-image.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from skimage import data, segmentation  # noqa: E402

from napari_cag import Click, compute_structure, guidance  # noqa: E402

# The astronaut's head: two positive clicks on it, negatives on the suit and the flag.
CLICKS = [Click(120, 250), Click(250, 240, positive=False), Click(60, 210), Click(60, 60, positive=False)]
PANELS = [
    ("superpixel_pos", "positive superpixel (Eq. 2)"),
    ("superpixel_neg", "negative superpixel (Eq. 2)"),
    ("object", "object map (Eq. 3)"),
    ("object_scaled", "scale-aware object map (Eq. 5)"),
]


def draw(out: Path) -> Path:
    """Compute the maps for the astronaut image and save the figure to `out`."""
    image = data.astronaut()
    structure = compute_structure(image, n_segments=1000)
    maps = guidance.guidance_maps(structure, CLICKS)
    scale = guidance.estimate_scale(CLICKS)

    fig, axes = plt.subplots(1, 1 + len(PANELS), figsize=(4 * (1 + len(PANELS)), 4.8))
    axes[0].imshow(segmentation.mark_boundaries(image, structure.superpixels, color=(1, 1, 0)))
    axes[0].set_title(f"image, {structure.n_superpixels} SLIC superpixels\nscale s = {scale:.0f} px")
    for ax, (name, title) in zip(axes[1:], PANELS):
        # Like the paper's figure, object maps are shown inverted (dark = supported).
        shown = 255 - maps[name] if name.startswith("object") else maps[name]
        ax.imshow(shown, cmap="magma", vmin=0, vmax=255)
        ax.set_title(title)
    for ax in axes:
        for c in CLICKS:
            ax.plot(c.x, c.y, "o", ms=9, mec="white", mfc="lime" if c.positive else "red")
        ax.set_axis_off()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(draw(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/guidance_maps.png")))
