"""After the network: masks that respect every click and boundaries decided at full resolution.

- `graph_cut` (`graphcut.py`): the network's probability, a colour / intensity
  model and image edges in one energy, minimized by a min cut in a band around
  the object at the image's own resolution, with the clicks as hard constraints.
- `keep_unclaimed` (`clicks.py`): a negative click removes only the part of the
  previous mask that it claims across image edges, never the whole object.
- `keep_clicked_lobe` (`necks.py`): a first click's mask loses the touching neighbour that a narrow neck
  joins to the clicked object (the microscopy preset's ``neck_ratio``).
- `respect_clicks` (`clicks.py`): a last guarantee that no click is contradicted.
"""

from .clicks import erase_refuted, keep_unclaimed, respect_clicks
from .graphcut import REFINE_PRESETS, RefineSettings, graph_cut
from .necks import keep_clicked_lobe

__all__ = ["respect_clicks", "erase_refuted", "keep_unclaimed", "keep_clicked_lobe", "graph_cut", "RefineSettings", "REFINE_PRESETS"]
