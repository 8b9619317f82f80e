import types

import fairloop


def test_all_is_exactly_the_public_surface() -> None:
    public = {
        name
        for name in dir(fairloop)
        if not name.startswith("_") and not isinstance(getattr(fairloop, name), types.ModuleType)
    }
    assert public | {"__version__"} == set(fairloop.__all__)
    assert len(fairloop.__all__) == len(set(fairloop.__all__))  # ruff (RUF022) keeps it sorted


def test_version() -> None:
    assert fairloop.__version__.count(".") == 2
