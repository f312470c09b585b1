import pytest

from pafas_cli.config import load_recipe
from pafas_cli.errors import PafasError


@pytest.mark.parametrize("override, key", [
    ("paths.n_paths=0", "paths.n_paths"),
    ("paths.alpha=0.5", "paths.alpha"),
    ("paths.shuffle_rate=1.5", "paths.shuffle_rate"),
    ("paths.image_size=8", "paths.image_size"),
    ("paths.shuffle=labels", "paths.shuffle"),
])
def test_bad_values_name_their_key(override, key):
    with pytest.raises(PafasError, match=key):
        load_recipe(None, [override])
