"""Adapting a model to the user's objects: what comes back, when it is kept, and that it is reproducible."""

from pathlib import Path

import numpy as np
import pytest
from skimage.draw import disk

from napari_cag import Session, adapt, segment
from napari_cag.clicks import Click
from napari_cag.model import load_model
from napari_cag.predictor import Predictor

TINY = Path(__file__).parent / "data" / "tiny_discs.safetensors"


def discs(n: int = 8, size: int = 128, seed: int = 0):
    """A dark noisy image with `n` bright discs on a grid, and their label image."""
    rng = np.random.default_rng(seed)
    image = rng.normal(40, 8, (size, size))
    labels = np.zeros((size, size), np.int32)
    side = int(np.ceil(np.sqrt(n)))
    step = size // side
    for k in range(n):
        cy, cx = (k // side + 0.5) * step, (k % side + 0.5) * step
        rr, cc = disk((cy, cx), rng.integers(8, step // 2 - 3), shape=labels.shape)
        labels[rr, cc] = k + 1
        image[rr, cc] += 120
    return np.clip(image, 0, 255).astype(np.uint8), labels


def _weights(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def test_adapt_returns_a_model_with_its_provenance_that_every_entry_point_takes(tmp_path):
    image, labels = discs()
    result = adapt(TINY, image, labels, steps=2, batch_size=4, seed=0, check=False)
    assert result.adapted and (result.objects, result.held_back, result.steps) == (8, 0, 2)
    assert result.message.startswith("adapted on 8 objects in ") and "unchecked" in result.message
    meta = result.config.meta
    assert meta["adapted_from"] == load_model(TINY)[1].meta.get("name", "model")
    assert (meta["objects"], meta["held_back"], meta["steps"], meta["seed"]) == (8, 0, 2, 0)
    base = segment(image, [Click(20, 20)], model=TINY, refine="none")
    mask = segment(image, [Click(20, 20)], model=result, refine="none")
    path = result.save(tmp_path / "mine.safetensors")
    assert load_model(path)[1].meta == meta
    np.testing.assert_array_equal(mask, segment(image, [Click(20, 20)], model=path, refine="none"))
    assert Predictor(result).net is result.net
    trained = result.net.state_dict()
    assert any(not np.array_equal(v.numpy(), trained[k].numpy()) for k, v in load_model(TINY)[0].state_dict().items())
    assert mask.shape == base.shape


def test_the_check_holds_back_a_quarter_and_reports_both_models():
    image, labels = discs()
    result = adapt(TINY, image, labels, steps=2, batch_size=4, seed=0)
    assert (result.objects, result.held_back) == (6, 2)
    assert np.isfinite(result.noc_before) and np.isfinite(result.noc_after)
    assert len(result.curves["before"]) == len(result.curves["after"]) == 2
    assert "on 2 held-back objects the clicks needed went from" in result.message


@pytest.mark.parametrize("before, after, kept", [
    ((4.0, 0.6), (3.0, 0.5), True),    # fewer clicks
    ((4.0, 0.6), (4.0, 0.7), True),    # as many, a better IoU curve
    ((4.0, 0.6), (4.0, 0.6), False),   # a tie is no gain
    ((4.0, 0.6), (5.0, 0.9), False),   # more clicks
    ((4.0, 0.6), (float("nan"), float("nan")), False),
])
def test_the_adapted_model_is_kept_only_if_it_did_better_on_the_held_back_objects(monkeypatch, before, after, kept):
    from napari_cag import adaptation

    figures = iter([before, after])
    monkeypatch.setattr(adaptation, "_check", lambda *a: dict(zip(("noc", "auc"), next(figures)), ious=[]))
    base_net, base_config = load_model(TINY)
    result = adapt((base_net, base_config), *discs(), steps=1, batch_size=2)
    assert result.adapted == kept
    assert (result.net is base_net) == (not kept) and (result.config is base_config) == (not kept)
    assert ("did not help" in result.message) == (not kept)


def test_the_base_model_is_left_as_it_was():
    base_net, base_config = load_model(TINY)
    base_net.train()
    before = _weights(base_net)
    predictor = Predictor((base_net, base_config))
    result = adapt(predictor, *discs(), steps=2, batch_size=4, check=False)
    assert result.net is not base_net and predictor.net is base_net
    assert all(np.array_equal(v.numpy(), base_net.state_dict()[k].numpy()) for k, v in before.items())
    assert next(result.net.parameters()).device == next(base_net.parameters()).device


def test_adapt_is_deterministic_for_a_seed():
    image, labels = discs()
    a = adapt(TINY, image, labels, steps=3, batch_size=4, seed=5)
    b = adapt(TINY, image, labels, steps=3, batch_size=4, seed=5)
    assert a.adapted == b.adapted and a.curves == b.curves
    for (k, v), w in zip(_weights(a.net).items(), _weights(b.net).values()):
        assert np.array_equal(v.numpy(), w.numpy()), k


def test_a_harmful_adaptation_gives_back_the_base_model_unchanged():
    """A learning rate that wrecks the network: the held-back check must catch it."""
    image, labels = discs()
    base_net, base_config = load_model(TINY)
    before = _weights(base_net)
    result = adapt((base_net, base_config), image, labels, steps=3, batch_size=4, lr=20.0, seed=0)
    assert not result.adapted
    assert result.noc_after >= result.noc_before
    assert np.mean(result.curves["after"]) < np.mean(result.curves["before"])  # the wrecked net, measured
    assert result.net is base_net and result.config is base_config
    assert all(np.array_equal(v.numpy(), base_net.state_dict()[k].numpy()) for k, v in before.items())
    assert "did not help" in result.message


def test_mislabelled_objects_are_judged_on_the_held_back_ones():
    """Labels drawn where there is nothing: the model comes back only if it won on the held-back
    (equally wrong) labels, as measured, and otherwise the base does."""
    image, labels = discs()
    wrong = np.roll(labels, (labels.shape[0] // 6, labels.shape[1] // 6), axis=(0, 1))
    base_net, base_config = load_model(TINY)
    result = adapt((base_net, base_config), image, wrong, steps=3, batch_size=4, seed=1)
    assert np.isfinite(result.noc_before) and np.isfinite(result.noc_after)
    assert (result.net is base_net) != result.adapted


def test_too_few_objects_or_mismatched_labels_are_refused():
    image, labels = discs(n=4)
    with pytest.raises(ValueError, match="at least 5 labelled objects"):
        adapt(TINY, image, labels)
    with pytest.raises(ValueError, match="label image 0 has shape"):
        adapt(TINY, image, labels[:-1])
    with pytest.raises(ValueError, match="2 images but 1 label images"):
        adapt(TINY, [image, image], [labels])
    with pytest.raises(ValueError, match="integer object ids"):
        adapt(TINY, image, labels > 0)
    with pytest.raises(ValueError, match="one .H, W. label image per 2D image"):
        adapt(TINY, image, np.stack([labels, labels]))


def test_cancelling_keeps_the_base_model():
    image, labels = discs()
    calls = []
    result = adapt(TINY, image, labels, steps=50, batch_size=4,
                   progress=lambda phase, done, total: calls.append((phase, done, total)),
                   cancel=lambda: sum(p == "train" for p, _, _ in calls) >= 2)
    assert not result.adapted and result.steps == 2
    assert result.message == "adapting was cancelled; the base model is unchanged"
    assert ("structure", 1, 1) in calls


def test_session_adapts_on_its_committed_objects_and_then_uses_the_result(monkeypatch):
    from napari_cag import adaptation

    image, labels = discs()
    session = Session(image, model=TINY, contrast_limits=(0, 200))
    out = np.zeros_like(labels)
    for k in range(1, 7):
        ys, xs = np.nonzero(labels == k)
        session.add_click(ys.mean(), xs.mean())
        out = session.commit(out)
    committed = session.committed
    np.testing.assert_array_equal(committed, out)  # what was written, id for id
    seen = {}
    real = adaptation.adapt

    def spy(model, images, labels, **kwargs):
        seen.update(kwargs, labels=labels)
        return real(model, images, labels, **kwargs)

    monkeypatch.setattr(adaptation, "adapt", spy)
    old = session.predictor
    result = session.adapt(steps=2, batch_size=4, lr=5.0)  # wrecking: the session keeps its model
    assert not result.adapted and session.predictor is old
    assert seen["contrast_limits"] == (0, 200) and np.array_equal(seen["labels"], committed)
    result = session.adapt(steps=2, batch_size=4, check=False)
    assert result.adapted and session.predictor is not old and session.predictor.net is result.net
    assert session.predictor.refine == old.refine and session.predictor.threads == old.threads


def _folder(root, image, labels):
    from PIL import Image

    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    Image.fromarray(image).save(root / "images" / "a.png")
    Image.fromarray(labels.astype(np.uint16)).save(root / "labels" / "a.png")
    return root


def test_cli_adapt_writes_the_model_or_says_why_not(tmp_path, capsys, monkeypatch):
    from napari_cag import adaptation
    from napari_cag.cli import main

    image, labels = discs()
    root = _folder(tmp_path / "mine", image, labels)
    out = tmp_path / "mine.safetensors"
    real = adaptation.adapt
    main(["adapt", "--model", str(TINY), "--data", str(root), "--out", str(out), "--steps", "1", "--objects", "6",
          "--no-check"])
    assert out.is_file() and out.with_suffix(".json").is_file()
    meta = load_model(out)[1].meta
    assert (meta["objects"], meta["held_back"], meta["steps"]) == (6, 0, 1)
    assert meta["command"].startswith("napari-cag adapt")
    assert "model: " in capsys.readouterr().out

    def kept(*args, **kwargs):  # as when adapting did not help
        result = real(*args, **kwargs)
        result.adapted = False
        return result

    monkeypatch.setattr(adaptation, "adapt", kept)
    with pytest.raises(SystemExit, match="nothing written"):
        main(["adapt", "--model", str(TINY), "--data", str(root), "--out", str(tmp_path / "no.safetensors"),
              "--steps", "1"])
    assert not (tmp_path / "no.safetensors").exists()
    with pytest.raises(SystemExit, match="must name a .safetensors file"):
        main(["adapt", "--model", str(TINY), "--data", str(root), "--out", str(tmp_path / "x.pt")])
