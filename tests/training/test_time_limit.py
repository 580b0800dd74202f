"""Training for a time instead of a number of steps, and where ranks that share a GPU train."""

import csv
import time

import pytest
import torch

from napari_cag.training import loop
from napari_cag.training.cache import build_cache, load_cache
from napari_cag.training.loop import PROBE_STEPS, TrainSettings, train

from test_training import CONFIG, synthetic


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return load_cache(build_cache([synthetic(0), synthetic(1)], tmp_path_factory.mktemp("cache"), CONFIG))


def test_a_timed_run_ends_on_time_with_its_schedule_finished(images, tmp_path):
    torch.set_num_threads(1)
    settings = TrainSettings(steps=10**6, batch_size=2, save_every=10**6, validate_every=10**6, lr=1e-3,
                             time_limit=6.0, calibration_batches=2)
    t0 = time.perf_counter()
    train(CONFIG, images, tmp_path, settings)
    took = time.perf_counter() - t0
    with (tmp_path / "log.csv").open() as f:
        rows = list(csv.DictReader(f))
    steps, last_lr = int(rows[-1]["step"]), float(rows[-1]["lr"])
    assert PROBE_STEPS < steps < 10**6  # the length came from the clock, not from --steps
    assert took < 6.0 * 1.5 + 2  # within the limit, give or take one slow step
    assert last_lr < 1e-3 / 100  # the one-cycle schedule ran to its end: annealed, not cut off at its peak
    assert saved_step(tmp_path) == steps  # the final weights and state are written


def saved_step(run) -> int:
    return int(torch.load(run / "state.pt", weights_only=True)["step"])


def test_a_timed_run_cannot_resume(images, tmp_path):
    with pytest.raises(ValueError, match="cannot be resumed"):
        train(CONFIG, images, tmp_path, TrainSettings(time_limit=5.0), resume=True)


@pytest.mark.parametrize(("gpus", "world", "backend"), [(0, 4, "gloo"), (1, 1, "nccl"), (1, 8, "gloo"),
                                                        (4, 4, "nccl"), (2, 6, "gloo")])
def test_ranks_that_share_a_gpu_use_gloo(monkeypatch, gpus, world, backend):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    assert loop._backend(world) == backend


def test_ranks_take_the_gpus_in_turn(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("WORLD_SIZE", "6")
    monkeypatch.setenv("LOCAL_RANK", "5")
    assert loop.rank_device(torch.device("cuda")) == torch.device("cuda", 1)
    assert loop.rank_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert loop.rank_device(torch.device("cuda")) == torch.device("cuda")
