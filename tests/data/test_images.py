from pathlib import Path

import numpy as np
import pytest

from pafas_cli.data.images import load_modality
from pafas_cli.errors import PafasError
from data_layouts import image


def test_8_and_16_bit_depth_load_as_8_bit_l(tmp_path: Path):
    eight = load_modality(image(tmp_path / "d8.png", "L", 200), "depth")
    sixteen = load_modality(image(tmp_path / "d16.png", "I;16", 51400), "depth")
    assert eight.mode == sixteen.mode == "L"
    assert np.asarray(eight)[0, 0] == 200
    assert np.asarray(sixteen)[0, 0] == 200  # 51400 / 257


def test_rgb_is_rgb_even_from_grey(tmp_path: Path):
    assert load_modality(image(tmp_path / "g.png", "L", 10), "rgb").mode == "RGB"


def test_corrupt_truncated_and_missing_files_name_the_file(tmp_path: Path):
    bad = tmp_path / "not_an_image.png"
    bad.write_bytes(b"hello")
    good = Path(image(tmp_path / "t.png", "RGB", 5, size=64))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    for path in (bad, truncated, tmp_path / "missing.png"):
        with pytest.raises(PafasError, match=path.name):
            load_modality(path, "ir")


def test_padisi_npz_channels(tmp_path: Path):
    data = np.zeros((1, 22, 6, 4), np.float32)
    data[0, 2] = 1.0   # R is channel 2 (BGR order)
    data[0, 3] = 0.5   # NIR
    data[0, 4] = 0.25  # depth
    np.savez(tmp_path / "x.npz", data=data)
    rgb = np.asarray(load_modality(tmp_path / "x.npz", "rgb"))
    assert rgb.shape == (6, 4, 3) and rgb[0, 0].tolist() == [255, 0, 0]
    assert np.asarray(load_modality(tmp_path / "x.npz", "ir"))[0, 0] == 128
    # A perfectly flat depth map is mid-grey (depth is normalised per face, see the next test).
    assert np.asarray(load_modality(tmp_path / "x.npz", "depth")).tolist() == [[128] * 4] * 6
    np.savez(tmp_path / "short.npz", data=np.zeros((1, 3, 4, 4)))
    with pytest.raises(PafasError, match="22"):
        load_modality(tmp_path / "short.npz", "depth")


def test_padisi_depth_of_a_face_at_arms_length_keeps_its_relief(tmp_path: Path):
    """16-bit depth scaled 0-1: a face at 0.6-0.7 m is ~0.01, two grey levels after x255; per face it spans 1-255."""
    yy, xx = np.mgrid[:40, :32]
    r = np.hypot((xx - 16) / 12, (yy - 20) / 16)
    millimetres = np.where(r < 1, 700 - 60 * np.sqrt(np.clip(1 - r ** 2, 0, 1)), 0)  # nose nearest, 0 = no data
    data = np.zeros((1, 22, 40, 32), np.float32)
    data[0, 4] = millimetres / 65535
    np.savez(tmp_path / "face.npz", data=data)
    assert len(np.unique(np.rint(data[0, 4] * 255))) <= 3  # what x255 would have kept
    depth = np.asarray(load_modality(tmp_path / "face.npz", "depth"))
    assert depth[20, 16] >= 250 and depth[0, 0] == 0  # nearest = brightest; no measurement stays black
    assert depth[r < 1].min() >= 1 and len(np.unique(depth[r < 1])) > 50
    data[0, 4, 0, 0] = 3.0  # not a 0-1 scaled channel
    np.savez(tmp_path / "raw.npz", data=data)
    with pytest.raises(PafasError, match="raw.npz: the depth channels are not scaled 0-1"):
        load_modality(tmp_path / "raw.npz", "depth")


@pytest.mark.fault
def test_16_bit_rgb_is_scaled_like_depth_not_saturated(tmp_path: Path):
    """PIL's convert("RGB") clips 16-bit values at 255: a ramp came out 99.6 % white."""
    from PIL import Image

    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    Image.fromarray(ramp).save(tmp_path / "r16.png")
    rgb = np.asarray(load_modality(tmp_path / "r16.png", "rgb"))
    assert rgb.shape == (64, 64, 3) and (rgb[..., 0] == rgb[..., 2]).all()
    assert (rgb == 255).mean() < 0.01
    assert np.array_equal(rgb[..., 0], np.asarray(load_modality(tmp_path / "r16.png", "depth")))  # same rule
    assert np.asarray(load_modality(image(tmp_path / "c16.png", "I;16", 51400), "rgb"))[0, 0].tolist() == [200] * 3


@pytest.mark.fault
def test_a_very_large_image_warns_in_one_line_naming_the_file(tmp_path: Path, monkeypatch, capsys, recwarn):
    from PIL import Image

    path = Path(image(tmp_path / "big[x].png", "RGB", 5, size=64))  # 4096 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # over the limit, under twice it: PIL only warns
    assert load_modality(path, "rgb").size == (64, 64)
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {path}: very large image (64x64") and len(err.strip().splitlines()) == 1
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


@pytest.mark.fault
def test_a_decompression_bomb_is_a_pafas_error_naming_the_file(tmp_path: Path, monkeypatch):
    from PIL import Image

    path = Path(image(tmp_path / "bomb.png", "RGB", 5, size=64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # more than twice the limit: PIL refuses
    with pytest.raises(PafasError, match="bomb.png: image too large to decode safely"):
        load_modality(path, "depth")
