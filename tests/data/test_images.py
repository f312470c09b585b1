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
    assert np.asarray(load_modality(tmp_path / "x.npz", "depth"))[0, 0] == 64
    np.savez(tmp_path / "short.npz", data=np.zeros((1, 3, 4, 4)))
    with pytest.raises(PafasError, match="22"):
        load_modality(tmp_path / "short.npz", "depth")
