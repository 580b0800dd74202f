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


def test_a_timed_run_fixes_its_length_from_the_clock_and_writes_its_weights(images, tmp_path):
    torch.set_num_threads(1)
    settings = TrainSettings(steps=10**6, batch_size=2, save_every=10**6, validate_every=10**6, lr=1e-3,
                             time_limit=6.0, calibration_batches=2)
    t0 = time.perf_counter()
    train(CONFIG, images, tmp_path, settings)
    took = time.perf_counter() - t0
    with (tmp_path / "log.csv").open() as f:
        steps = int(list(csv.DictReader(f))[-1]["step"])
    assert PROBE_STEPS < steps < 10**6  # the length came from the clock, not from --steps
    assert took < 6.0 * 2 + 2  # within the limit, give or take slow steps on a loaded machine
    assert saved_step(tmp_path) == steps  # the final weights and state are written
    assert (tmp_path / "last.safetensors").exists()


def _clock(monkeypatch, now: float) -> None:
    monkeypatch.setattr(loop.time, "perf_counter", lambda: now)


def test_the_steps_that_fit_are_those_of_the_remaining_time_at_the_probes_pace(monkeypatch):
    # started at 0 s, probe steps 6-10 took 5 s (1 s a step), 100 s allowed, 20 recalibration batches kept back
    _clock(monkeypatch, 10.0)
    settings = TrainSettings(time_limit=100.0, calibration_batches=20)
    assert loop._timed_length(0.0, 5.0, settings, torch.device("cpu"), 1) == PROBE_STEPS + 70
    _clock(monkeypatch, 20.0)  # the first half was slow (warm-up): it does not count
    assert loop._timed_length(0.0, 15.0, settings, torch.device("cpu"), 1) == PROBE_STEPS + 60


def test_a_limit_spent_by_the_probe_warns_and_runs_a_few_steps(monkeypatch):
    _clock(monkeypatch, 10.0)
    with pytest.warns(UserWarning, match="nearly spent"):
        steps = loop._timed_length(0.0, 5.0, TrainSettings(time_limit=12.0), torch.device("cpu"), 1)
    assert steps == PROBE_STEPS + 4


def saved_step(run) -> int:
    return int(torch.load(run / "state.pt", weights_only=True)["step"])


@pytest.mark.parametrize("limit", [0.0, -5.0, float("inf"), float("nan")])
def test_a_time_limit_must_be_a_positive_number(images, tmp_path, limit):
    with pytest.raises(ValueError, match="positive number of seconds"):
        train(CONFIG, images, tmp_path, TrainSettings(time_limit=limit))


@pytest.mark.parametrize(("extra", "message"), [(["--minutes", "0"], "positive number"),
                                                (["--minutes", "nan"], "positive number"),
                                                (["--minutes", "5", "--resume"], "cannot be resumed"),
                                                (["--microscopy-share", "1.5"], "must lie in 0..1"),
                                                (["--guidance", "sp+obj", "--erase-refuted"], "does not read")])
def test_the_cli_refuses_bad_minutes_or_shares_before_any_work(tmp_path, capsys, extra, message):
    from napari_cag.cli import main

    with pytest.raises(SystemExit, match=message):
        main(["train", "--data", str(tmp_path / "absent"), "--run", str(tmp_path / "run"), *extra])


def test_a_timed_run_cannot_resume(images, tmp_path):
    with pytest.raises(ValueError, match="cannot be resumed"):
        train(CONFIG, images, tmp_path, TrainSettings(time_limit=5.0), resume=True)


@pytest.mark.parametrize(("gpus", "world", "backend"), [(0, 4, "gloo"), (1, 1, "nccl"), (1, 8, "gloo"),
                                                        (4, 4, "nccl"), (2, 6, "gloo")])
def test_ranks_that_share_a_gpu_use_gloo(monkeypatch, gpus, world, backend):
    """`world`: the ranks on one machine (LOCAL_WORLD_SIZE), so several machines of 4 GPUs keep NCCL."""
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
