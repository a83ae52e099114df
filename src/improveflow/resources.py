"""Where the shipped workflows and templates live, in a wheel or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The folder `name` shipped with improveflow (`workflows` or `templates`).

    A wheel carries them inside the package; an editable install reads them from the checkout.
    """
    inside_wheel = _PACKAGE_DIR / "_bundled" / name
    if inside_wheel.is_dir():
        return inside_wheel
    in_checkout = _PACKAGE_DIR.parent.parent / name
    if in_checkout.is_dir():
        return in_checkout
    raise FileNotFoundError(f"improveflow's {name} folder is missing from this installation")
