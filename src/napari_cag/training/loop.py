"""The training loop: batches from the sampler, optional iterative rounds, checkpoints that resume."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from ..model import ModelConfig, build_model, load_model, save_model
from ..predictor import paste_back
from .cache import CachedImage
from .sampler import Example, TrainingSampler

__all__ = ["TrainSettings", "train"]


@dataclass
class TrainSettings:
    """Optimisation settings (the recipe shared by every model of an ablation)."""

    steps: int = 20_000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    max_iter_rounds: int = 2     # iterative training: up to this many error-click rounds per batch
    save_every: int = 250
    validate_every: int = 1000
    seed: int = 0


def _state_path(run: Path) -> Path:
    return run / "state.pt"


def _save(run: Path, net, config, opt, sched, step: int, rng: np.random.Generator, history: list) -> None:
    save_model(run / "last.safetensors", net, config)
    state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step,
             "rng": json.dumps(rng.bit_generator.state), "torch_rng": torch.get_rng_state()}
    tmp = run / "state.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(_state_path(run))
    (run / "history.json").write_text(json.dumps(history, indent=1))


def _forward_iterative(net, sampler: TrainingSampler, examples: list[Example], rounds: int, device) -> None:
    """Run the network without gradients and add an error click per round (Sec. 3.4)."""
    net.eval()
    with torch.no_grad():
        for _ in range(rounds):
            xs = np.stack([sampler.inputs(ex)[0] for ex in examples])
            probs = torch.softmax(net(torch.from_numpy(xs).to(device)).float(), dim=1)[:, 1].cpu()
            for ex, prob in zip(examples, probs):
                if ex.flips[0]:
                    prob = prob.flip(-1)
                if ex.flips[1]:
                    prob = prob.flip(-2)
                window = sampler.window_for(ex)
                sampler.add_error_click(ex, paste_back(prob, window, ex.gt.shape) > 0.5)
    net.train()


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
) -> Path:
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
        zero, so each stage starts where the last ended).

    Returns
    -------
    Path
        The weights file.

    Raises
    ------
    FileExistsError
        If the run folder holds a checkpoint and neither `resume` nor
        `overwrite` is set.
    """
    run = Path(run)
    has_checkpoint = (run / "last.safetensors").exists()
    if has_checkpoint and not (resume or overwrite):
        raise FileExistsError(f"{run} already holds a checkpoint; pass resume=True to continue or overwrite=True")
    run.mkdir(parents=True, exist_ok=True)
    device = torch.device(device)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    if resume and has_checkpoint:
        net, config = load_model(run / "last.safetensors", device)
    else:
        net = build_model(config).to(device)
        if init is not None:
            source, source_config = load_model(init, device)
            if (source_config.arch, source_config.guidance) != (config.arch, config.guidance):
                raise ValueError(f"{init} is a {source_config.arch} model on {list(source_config.guidance)}, "
                                 f"not {config.arch} on {list(config.guidance)}")
            net.load_state_dict(source.state_dict(), strict=True)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.lr, total_steps=settings.steps, pct_start=0.05)
    step, history = 0, []
    if resume and has_checkpoint:
        state = torch.load(_state_path(run), map_location=device, weights_only=True)
        opt.load_state_dict(state["optimizer"])
        # The schedule's length follows this call's settings.steps (a run resumed with more
        # steps stretches it); only the position in it comes from the checkpoint.
        sched.load_state_dict({k: v for k, v in state["scheduler"].items()
                               if k not in ("total_steps", "_schedule_phases")})
        step = int(state["step"])
        rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        history = json.loads((run / "history.json").read_text())
    sampler = TrainingSampler(images, config, rng)
    log = (run / "log.csv").open("a", newline="")
    writer = csv.writer(log)
    if step == 0:
        writer.writerow(["step", "loss", "lr", "seconds"])
    losses, t0 = [], time.perf_counter()
    try:
        while step < settings.steps:
            examples = [sampler.draw() for _ in range(settings.batch_size)]
            if config.iterative:
                rounds = int(rng.integers(0, settings.max_iter_rounds + 1))
                _forward_iterative(net, sampler, examples, rounds, device)
            batch = [sampler.inputs(ex) for ex in examples]
            x = torch.from_numpy(np.stack([b[0] for b in batch])).to(device)
            y = torch.from_numpy(np.stack([b[1] for b in batch])).to(device)
            loss = F.cross_entropy(net(x), y, ignore_index=255)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
            if progress:
                progress(step, losses[-1])
            if step % 50 == 0 or step == settings.steps:
                writer.writerow([step, f"{np.mean(losses[-50:]):.4f}", f"{sched.get_last_lr()[0]:.2e}",
                                 f"{time.perf_counter() - t0:.0f}"])
                log.flush()
            if validate and (step % settings.validate_every == 0 or step == settings.steps):
                figures = validate(net.eval(), config)
                net.train()
                history.append({"step": step, "loss": float(np.mean(losses[-200:])), **figures})
            if step % settings.save_every == 0 or step == settings.steps:
                _save(run, net, config, opt, sched, step, rng, history)
    finally:
        log.close()
    return run / "last.safetensors"
