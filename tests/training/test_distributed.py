"""`train` under DistributedDataParallel (gloo, 2 CPU processes) against one process with 2 shards."""

import os
import socket

import pytest
import torch
from torch import distributed as dist
from torch import multiprocessing as mp

from napari_cag.model import ModelConfig
from napari_cag.training.cache import build_cache, load_cache
from napari_cag.training.loop import TrainSettings, train

from test_training import synthetic

CONFIG = ModelConfig(width=8, input_size=64, min_window=20)  # iterative: the error clicks must agree too
SETTINGS = TrainSettings(steps=3, batch_size=4, shards=2, save_every=3, validate_every=1000, max_iter_rounds=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world: int, port: int, cache: str, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank))
    torch.set_num_threads(1)
    images = load_cache(sorted(os.path.join(cache, f) for f in os.listdir(cache)))
    try:
        _, net = train(CONFIG, images, os.path.join(out, "run"), SETTINGS, return_model=True)
        torch.save({k: v.clone() for k, v in net.state_dict().items()}, os.path.join(out, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    build_cache([synthetic(0), synthetic(1, ignore=True), synthetic(2)], folder, CONFIG)
    return folder


def test_two_ranks_end_with_the_weights_of_one_process_with_two_shards(cache, tmp_path):
    mp.start_processes(_rank, args=(2, _free_port(), str(cache), str(tmp_path)), nprocs=2, join=True,
                       start_method="spawn")
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    torch.set_num_threads(1)
    _, single = train(CONFIG, load_cache(sorted(cache.glob("*.npz"))), tmp_path / "single", SETTINGS,
                      return_model=True)
    for name, value in single.state_dict().items():
        torch.testing.assert_close(ranks[0][name], ranks[1][name], rtol=0, atol=0, msg=f"ranks differ: {name}")
        torch.testing.assert_close(ranks[0][name], value, rtol=1e-4, atol=1e-5, msg=f"DDP != one process: {name}")
    assert (tmp_path / "run" / "last.safetensors").exists()  # rank 0 checkpoints
    moved = [n for n, v in single.state_dict().items() if v.is_floating_point()
             and not torch.equal(v, train.__globals__["build_model"](CONFIG).state_dict()[n])]
    assert moved  # the weights did train


def test_shards_must_split_the_batch(cache, tmp_path):
    with pytest.raises(ValueError, match="does not split"):
        train(CONFIG, load_cache(sorted(cache.glob("*.npz"))), tmp_path / "r",
              TrainSettings(steps=1, batch_size=3, shards=2))
