"""The training loop: batches from the sampler, iterative rounds, checkpoints that resume.

A step's batch is drawn in ``shards`` parts, each from its own seed stream.
Under ``torchrun --nproc-per-node N`` (`DistributedDataParallel`, gloo on a
CPU, NCCL on GPUs) rank *r* draws and trains shard *r* and the gradients are
averaged; one process with ``shards=N`` draws the same shards in turn and
accumulates the same average, so both end with the same weights. Batch-norm
statistics follow shard 0 in both (rank 0's are broadcast every step).
Ranks that share a GPU (more processes than GPUs: the simulated clicks are
CPU work, so one GPU feeds on several cores) talk through gloo, which NCCL
refuses to do.

With ``time_limit`` the run ends when its time is up instead of after a fixed
number of steps: the first `PROBE_STEPS` steps run at the schedule's starting
rate and are timed, and the one-cycle schedule is then laid over the steps
that fit (rank 0 decides, every rank follows).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from ..guidance import VARIANT_OF
from ..model import ModelConfig, build_model, load_model, save_model
from ..model.widen import widen_into
from ..predictor import object_probability, paste_back
from .augment import untransform
from .cache import CachedImage
from .loss import LOSSES, pixel_loss
from .sampler import Example, TrainingSampler

__all__ = ["TrainSettings", "train"]


@dataclass
class TrainSettings:
    """Optimisation settings (the recipe shared by every model of an ablation)."""

    steps: int = 20_000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    max_iter_rounds: int = 10    # iterative training: up to this many error-click rounds per example
    save_every: int = 250
    validate_every: int = 1000
    seed: int = 0
    shards: int = 1              # the batch in this many seed streams (torchrun: one per rank)
    augment: bool = True
    microscopy_share: float = 0.5  # odds of a micrograph when both kinds of image are in the data
    calibration_batches: int = 20  # batch-norm statistics recomputed on this many batches before a
                                   # validation and at the end (0: keep the running averages)
    time_limit: float | None = None  # seconds: train for this long (steps then fixed after the probe)
    loss: str = "ce"             # one of `napari_cag.training.loss.LOSSES` (cross-entropy, focal, or focal after errors)
    touch_weight: float = 0.0    # extra cross-entropy weight where the object meets another (`TrainingSampler.touching`)
    click_weight: float = 0.0    # extra cross-entropy weight around a later click (`TrainingSampler.near_newest_click`)
    refined_rounds: bool = False  # error clicks placed on the refined mask, which is also the next previous
                                  # mask (`TrainingSampler.finish`), as a user's are; False: on the raw network's
    perturbed_previous: float = 0.0  # share of examples with rounds whose clicks and previous mask come from a
                                     # perturbed true mask instead of the network (`TrainingSampler.perturbed_rounds`)


PROBE_STEPS = 10  # steps timed before a time-limited run fixes its length


P_NO_ROUND = 0.4  # examples left as drawn: the state of a session's first clicks


def round_odds(max_rounds: int) -> np.ndarray:
    """Odds of 0..max_rounds error-click rounds for one example: `P_NO_ROUND` for none, the rest
    falling as 1 / (k + 1), so that clicks 10-20 of the protocol are seen but early ones most."""
    p = 1.0 / np.arange(1, max_rounds + 2)
    p[1:] *= (1 - P_NO_ROUND) / p[1:].sum() if max_rounds else 0
    p[0] = P_NO_ROUND if max_rounds else 1.0
    return p


def _world() -> tuple[int, int]:
    """(rank, world size); starts the process group under torchrun."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    if not dist.is_initialized():
        local = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))
        dist.init_process_group(_backend(local))
    return dist.get_rank(), dist.get_world_size()


def _backend(local_world: int) -> str:
    """NCCL with a GPU per rank of a machine; gloo on CPUs and where ranks share a GPU."""
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return "nccl" if gpus and local_world <= gpus else "gloo"


def rank_device(device: torch.device) -> torch.device:
    """The device of this rank: its own GPU, or one shared round-robin when ranks outnumber GPUs."""
    if device.type != "cuda" or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return device
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())


@contextlib.contextmanager
def _frozen_statistics(net, frozen: bool):
    """Batch norm without updating running statistics (the shards after the first)."""
    layers = [m for m in net.modules() if isinstance(m, _BatchNorm)] if frozen else []
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in layers]
    for m in layers:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(layers, saved):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def _state_path(run: Path) -> Path:
    return run / "state.pt"


def _save(run: Path, net, config, opt, sched, step: int, rngs: list, history: list) -> None:
    save_model(run / "last.safetensors", net, config)
    state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict() if sched else {}, "step": step,
             "rng": json.dumps([r.bit_generator.state for r in rngs]), "torch_rng": torch.get_rng_state()}
    tmp = run / "state.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(_state_path(run))
    (run / "history.json").write_text(json.dumps(history, indent=1))


def _predictions(net, sampler: TrainingSampler, examples: list[Example], device,
                 refined: bool = False) -> list[np.ndarray]:
    """The network's masks for examples, pasted back to their images; `refined`: as a user gets them."""
    xs = np.stack([sampler.inputs(ex)[0] for ex in examples])
    probs = object_probability(net(torch.from_numpy(xs).to(device)), sampler.config).cpu()
    pasted = [paste_back(untransform(p, ex.flips), sampler.window_for(ex), ex.gt.shape)
              for ex, p in zip(examples, probs)]
    if refined:
        pasted = [sampler.finish(ex, p) for ex, p in zip(examples, pasted)]
    return [p > 0.5 for p in pasted]


def _forward_iterative(net, sampler: TrainingSampler, examples: list[Example], rounds: list[int], device,
                       refined: bool = False) -> None:
    """Without gradients: zoom search views on their answer, then add error clicks, ``rounds[i]``
    to example *i* (Sec. 3.4), on the refined masks with `refined`; an example with no rounds keeps
    its drawn state."""
    net.eval()
    with torch.no_grad():
        zooming = [ex for ex in examples if ex.extra.get("zoom")]
        if zooming:
            for ex, mask in zip(zooming, _predictions(net, sampler, zooming, device)):
                sampler.zoom(ex, mask)
        for r in range(max(rounds, default=0)):
            active = [ex for ex, n in zip(examples, rounds) if n > r]
            for ex, mask in zip(active, _predictions(net, sampler, active, device, refined)):
                sampler.add_error_click(ex, mask)
    net.train()


def _draw(sampler: TrainingSampler, rng, n: int, settings, config) -> tuple[list[Example], list[int]]:
    """`n` examples and their numbers of error-click rounds."""
    examples = [sampler.draw() for _ in range(n)]
    rounds = [0] * n
    if config.iterative:
        rounds = [int(k) for k in rng.choice(settings.max_iter_rounds + 1, size=n,
                                             p=round_odds(settings.max_iter_rounds))]
    return examples, rounds


def recalibrate_statistics(net, sampler: TrainingSampler, batches: int, rng, settings, config, device) -> None:
    """Batch-norm statistics as the plain average over `batches` fresh training shards ("precise BN").

    The running averages lag behind weights that still move: measured on a fine-tuning run at step 250,
    the network in eval mode reached a training-batch IoU of 0.30 with them and 0.52 with recomputed
    statistics. The shards are drawn as in training (`_shard`), iterative rounds included.
    """
    drawn = [_shard(net, sampler, rng, settings, config, device)[0] for _ in range(batches)]
    layers = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    saved = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    net.train()
    with torch.no_grad():
        for x in drawn:
            net(x)
    for m, momentum in zip(layers, saved):
        m.momentum = momentum


def _shard(net, sampler, rng, settings, config, device):
    """One shard of the batch, its iterative rounds run: ``(x, y, corrected, weight)``, `corrected`
    marking the examples that had error-click rounds, `weight` the pixel weights of the loss (None
    without ``settings.touch_weight`` or ``settings.click_weight``)."""
    examples, rounds = _draw(sampler, rng, settings.batch_size // settings.shards, settings, config)
    corrected = [r > 0 for r in rounds]
    if settings.perturbed_previous:
        draws = rng.random(len(rounds))
        for i, ex in enumerate(examples):
            if rounds[i] and draws[i] < settings.perturbed_previous:
                sampler.perturbed_rounds(ex, rounds[i])
                rounds[i] = 0
    _forward_iterative(net, sampler, examples, rounds, device, settings.refined_rounds)
    batch = [sampler.inputs(ex) for ex in examples]
    weight = None
    if settings.touch_weight or settings.click_weight:
        weight = np.ones((len(examples),) + batch[0][1].shape, np.float32)
        for w, ex, later in zip(weight, examples, corrected):
            if settings.touch_weight:
                w += settings.touch_weight * sampler.touching(ex)
            if settings.click_weight and later:  # the first clicks' examples have no newest click to obey
                w += settings.click_weight * sampler.near_newest_click(ex)
        weight = torch.from_numpy(weight).to(device)
    return (torch.from_numpy(np.stack([b[0] for b in batch])).to(device),
            torch.from_numpy(np.stack([b[1] for b in batch])).to(device),
            torch.tensor(corrected, device=device), weight)


def train(
    config: ModelConfig,
    images: list[CachedImage],
    run: str | Path,
    settings: TrainSettings,
    *,
    device: str | torch.device = "cpu",
    resume: bool = False,
    overwrite: bool = False,
    validate: Callable[[torch.nn.Module, ModelConfig], dict] | None = None,
    progress: Callable[[int, float], None] | None = None,
    init: str | Path | None = None,
    return_model: bool = False,
) -> Path | tuple[Path, torch.nn.Module]:
    """Train a network and keep ``run/last.safetensors`` up to date.

    Parameters
    ----------
    config : ModelConfig
        What to train (a resumed run keeps the configuration it was started with).
    images : list of CachedImage
        Training images (never an evaluation set).
    run : path
        Run folder: weights, optimizer state, ``log.csv`` and ``history.json``.
    settings : TrainSettings
        Steps, batch size, learning rate, seed.
    device : str or torch.device
    resume : bool
        Continue from the run folder's last checkpoint.
    overwrite : bool
        Start afresh even if the run folder holds a checkpoint.
    validate : callable, optional
        ``validate(net, config) -> dict`` of figures logged every
        ``validate_every`` steps (e.g. the validation NoC).
    progress : callable, optional
        ``progress(step, loss)`` after every step.
    init : path, optional
        Start a new run from these weights (the staged FCN-8s schedule:
        32s, then 16s and 8s from the previous stage; the skip heads start at
        zero, so each stage starts where the last ended). Weights of a
        narrower `CompactFCN` are widened to ``config.width`` (`widen_into`).

    return_model : bool
        Also return the trained network (each rank's own under torchrun).

    Returns
    -------
    Path
        The weights file (written by rank 0), with the network if `return_model`.

    Raises
    ------
    FileExistsError
        If the run folder holds a checkpoint and neither `resume` nor
        `overwrite` is set.
    ValueError
        For settings that cannot run (an unknown loss, a batch that does not split into the shards).
    """
    if settings.loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {settings.loss!r}")
    if (settings.touch_weight or settings.click_weight) and settings.loss != "ce":
        raise ValueError(f"touch_weight and click_weight weight cross-entropy; they cannot go with the loss "
                         f"{settings.loss!r}")
    run = Path(run)
    rank, world = _world()
    if world > 1 and settings.shards != world:
        raise ValueError(f"torchrun started {world} processes for {settings.shards} shards; pass --shards {world}")
    if settings.batch_size % settings.shards:
        raise ValueError(f"batch size {settings.batch_size} does not split into {settings.shards} shards")
    has_checkpoint = (run / "last.safetensors").exists()
    if has_checkpoint and not (resume or overwrite):
        raise FileExistsError(f"{run} already holds a checkpoint; pass resume=True to continue or overwrite=True")
    run.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    device = torch.device(device)
    torch.manual_seed(settings.seed)
    mine = [rank] if world > 1 else list(range(settings.shards))
    rngs = [np.random.default_rng(settings.seed if r == 0 else [settings.seed, r]) for r in range(settings.shards)]
    if resume and has_checkpoint:
        net, config = load_model(run / "last.safetensors", device)
    else:
        net = build_model(config).to(device)
        if init is not None:
            source, source_config = load_model(init, device)
            if (source_config.arch, _kinds(source_config.guidance)) != (config.arch, _kinds(config.guidance)):
                raise ValueError(f"{init} is a {source_config.arch} model on {list(source_config.guidance)}, "
                                 f"not {config.arch} on {list(config.guidance)}")
            if config.arch == "compact" and source_config.width != config.width:
                widen_into(net, source)  # a wider network that starts out computing the same function
            else:
                net.load_state_dict(source.state_dict(), strict=True)
    net.train()
    # Buffers are synchronised by _broadcast_buffers at each step.
    model = torch.nn.parallel.DistributedDataParallel(net, broadcast_buffers=False) if world > 1 else net
    opt = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    timed = settings.time_limit is not None
    if timed and not 0 < settings.time_limit < float("inf"):
        raise ValueError(f"the time limit must be a positive number of seconds, got {settings.time_limit}")
    if timed and resume:
        raise ValueError("a time-limited run cannot be resumed; start a new one from its last.safetensors (--init)")
    total = PROBE_STEPS if timed else settings.steps  # a timed run's length is fixed after the probe
    sched = None if timed else _one_cycle(opt, settings.lr, total)
    if timed:
        for group in opt.param_groups:
            group["lr"] = settings.lr / ONE_CYCLE_DIV  # where the one-cycle schedule starts
    step, history = 0, []
    if resume and has_checkpoint:
        state = torch.load(_state_path(run), map_location=device, weights_only=True)
        opt.load_state_dict(state["optimizer"])
        # The schedule's length follows this call's settings.steps (a run resumed with more
        # steps stretches it); only the position in it comes from the checkpoint.
        sched.load_state_dict({k: v for k, v in state["scheduler"].items()
                               if k not in ("total_steps", "_schedule_phases")})
        step = int(state["step"])
        saved = json.loads(state["rng"])
        saved = saved if isinstance(saved, list) else [saved]
        if len(saved) != len(rngs):
            raise ValueError(f"{run} was trained in {len(saved)} shards, not {len(rngs)}")
        for r, st in zip(rngs, saved):
            r.bit_generator.state = st
        torch.set_rng_state(state["torch_rng"])
        history = json.loads((run / "history.json").read_text())
    samplers = {r: TrainingSampler(images, config, rngs[r], settings.microscopy_share,
                                 augment=settings.augment) for r in mine}
    log = (run / "log.csv").open("a", newline="") if rank == 0 else None
    writer = csv.writer(log) if log else None
    if writer and step == 0:
        writer.writerow(["step", "loss", "lr", "seconds"])
    losses, t0 = [], time.perf_counter()
    try:
        while step < total:
            if world > 1:
                _broadcast_buffers(net)
            opt.zero_grad(set_to_none=True)
            # every shard is drawn before any is trained on, so that all see the step's statistics
            shards = [_shard(net, samplers[r], rngs[r], settings, config, device) for r in mine]
            shard_losses = []
            for r, (x, y, corrected, weight) in zip(mine, shards):
                with _frozen_statistics(net, r > 0):
                    loss = pixel_loss(settings.loss, model(x), y, corrected, weight)
                (loss / len(mine)).backward()
                shard_losses.append(loss.detach())
            loss = torch.stack(shard_losses).mean()
            if world > 1:
                dist.all_reduce(loss)
                loss /= world
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            losses.append(float(loss))
            if sched is None and step == PROBE_STEPS // 2:
                halfway = time.perf_counter()  # the pace is timed past the first steps' warm-up
            if sched is None and step == PROBE_STEPS:
                total = _timed_length(started, halfway, settings, device, world)
                # at least two warm-up steps: OneCycleLR divides by zero with fewer
                sched = _one_cycle(opt, settings.lr, total - PROBE_STEPS, max(0.05, 2 / (total - PROBE_STEPS)))
            save_now = step % settings.save_every == 0 or step == total
            validate_now = validate is not None and (step % settings.validate_every == 0 or step == total)
            if settings.calibration_batches and rank == 0 and (validate_now or step == total):
                recalibrate_statistics(net, samplers[0], settings.calibration_batches, rngs[0], settings, config,
                                       device)
            states = _all_rngs(rngs, rank, world) if save_now else None  # every rank takes part
            if rank > 0:
                continue
            if progress:
                progress(step, losses[-1])
            if step % 50 == 0 or step == total:
                writer.writerow([step, f"{np.mean(losses[-50:]):.4f}", f"{opt.param_groups[0]['lr']:.2e}",
                                 f"{time.perf_counter() - t0:.0f}"])
                log.flush()
            if validate_now:
                figures = validate(net.eval(), config)
                net.train()
                history.append({"step": step, "loss": float(np.mean(losses[-200:])), **figures})
            if save_now:
                _save(run, net, config, opt, sched, step, states, history)
        if world > 1:
            _broadcast_buffers(net)
    finally:
        if log:
            log.close()
    return (run / "last.safetensors", net) if return_model else run / "last.safetensors"


ONE_CYCLE_DIV = 25.0  # the one-cycle schedule starts at lr / this (OneCycleLR's div_factor)


def _kinds(guidance) -> tuple[str, ...]:
    """Guidance channels up to their variants (`napari_cag.guidance.VARIANT_OF`): a network may start
    from one trained on the plain map and learn its variant."""
    return tuple(VARIANT_OF.get(name, name) for name in guidance)


def _one_cycle(opt, lr: float, steps: int, warmup: float = 0.05):
    """Warm-up over a share of the steps, then cosine annealing."""
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=warmup,
                                               div_factor=ONE_CYCLE_DIV)


def _timed_length(started: float, halfway: float, settings: TrainSettings, device, world: int) -> int:
    """The steps of a time-limited run, from the pace of the probe's second half (rank 0's, shared
    with every rank). Time is kept back for the final batch-norm recalibration, a step's worth per batch.
    """
    now = time.perf_counter()
    elapsed = now - started
    pace = (now - halfway) / (PROBE_STEPS - PROBE_STEPS // 2)
    spare = settings.time_limit - elapsed - settings.calibration_batches * pace
    if spare < 4 * pace and (not dist.is_initialized() or dist.get_rank() == 0):
        warnings.warn(f"the time limit of {settings.time_limit:.0f} s is nearly spent after the probe "
                      f"({elapsed:.0f} s, {pace:.1f} s a step): 4 more steps are run anyway", stacklevel=2)
    steps = torch.tensor([PROBE_STEPS + max(int(spare / pace), 4)], device=device)
    if world > 1:
        dist.broadcast(steps, 0)
    return int(steps.item())


def _broadcast_buffers(net) -> None:
    """Rank 0's batch-norm statistics to every rank, one message per dtype (not one per buffer)."""
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for buffer in net.buffers():
        by_dtype.setdefault(buffer.dtype, []).append(buffer)
    for buffers in by_dtype.values():
        flat = parameters_to_vector(buffers)
        dist.broadcast(flat, 0)
        vector_to_parameters(flat, buffers)


def _all_rngs(rngs: list, rank: int, world: int) -> list:
    """Every shard's generator, gathered on rank 0 under torchrun."""
    if world == 1:
        return rngs
    states = [None] * world
    dist.all_gather_object(states, rngs[rank].bit_generator.state)
    gathered = [np.random.default_rng() for _ in states]
    for g, st in zip(gathered, states):
        g.bit_generator.state = st
    return gathered
