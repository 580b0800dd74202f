"""What a second network mixed into the later clicks (`ModelConfig.later_mix`) costs a click.

    python benchmarks/bench_later_mix.py --model microscopy
    python benchmarks/bench_later_mix.py --model natural --weights runs/natbin/last.safetensors

On a 512² image (the bundled nuclei for ``microscopy``, the astronaut for
``natural``), the same simulated later clicks through `Session.add_click`
(refinement included) with the mix off and on, interleaved, one torch thread;
and the mixed pass alone (`Predictor._mixed_pass`, the guidance maps computed
once for both networks) against the same two networks each given its own
input (the maps computed twice). ``--weights`` mixes that network in at
``--share`` (default: the model's own `later_mix`). Medians in ms.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    from skimage import data, transform

    from napari_cag import Session
    from napari_cag.data import nuclei_2d
    from napari_cag.predictor import Predictor, choose_window, network_input, object_probability, paste_back

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("microscopy", "natural"), default="microscopy")
    parser.add_argument("--weights", help="the network to mix in (default: the model's own later_mix)")
    parser.add_argument("--share", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)

    if args.model == "microscopy":
        image = nuclei_2d()[0]
        clicks = [(250, 250, True), (262, 268, False), (240, 236, True), (275, 245, False), (255, 230, True)]
    else:
        image = (transform.resize(data.astronaut(), (512, 512), anti_aliasing=True) * 255).astype(np.uint8)
        clicks = [(180, 250, True), (300, 200, False), (120, 260, True), (400, 300, False), (200, 180, True)]
    predictor = Predictor(args.model)
    mix = ({"weights": str(Path(args.weights).resolve()), "share": args.share} if args.weights
           else predictor.config.later_mix)
    if not mix:
        raise SystemExit(f"error: the {args.model} model mixes nothing in; give --weights")
    session = Session(image, model=predictor)

    times = {"alone": [], "mixed": [], "mixed pass, maps once": [], "two passes, maps twice": []}
    for _ in range(args.repeats):
        for mode in ("alone", "mixed"):
            predictor.update_config(later_mix=mix if mode == "mixed" else None)
            session.reset()
            session.add_click(*clicks[0])
            for c in clicks[1:]:
                t = time.perf_counter()
                session.add_click(*c)
                times[mode].append(time.perf_counter() - t)
        # the network step of the last click again, alone, both ways
        view = session.views.whole
        local = view.local(session.clicks)
        previous = session.mask[view.slices] > 0
        window = choose_window(view.image.shape, local, previous, predictor.config)
        later = predictor._later_model(mix["weights"])
        with torch.no_grad():
            for _ in range(5):
                t = time.perf_counter()
                predictor._mixed_pass(view.image, view.structure, local, previous, window)
                times["mixed pass, maps once"].append(time.perf_counter() - t)
                t = time.perf_counter()
                for net, config in ((predictor.net, predictor.config), later):
                    x = network_input(view.image, view.structure, local, previous, window, config)[0]
                    x = torch.from_numpy(x[None]).contiguous(memory_format=torch.channels_last)
                    paste_back(object_probability(net(x), config)[0], window, view.image.shape)
                times["two passes, maps twice"].append(time.perf_counter() - t)
    for name, values in times.items():
        print(f"{args.model}, {name}: {1e3 * np.median(values):.1f} ms median of {len(values)}")


if __name__ == "__main__":
    main()
