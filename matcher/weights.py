"""Named ranking weights, their defaults from ``data/weights.yaml``, and overrides."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from corpus.errors import InvalidInput

WEIGHTS_FILE = Path(__file__).parent / "data" / "weights.yaml"


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    return yaml.safe_load(WEIGHTS_FILE.read_text(encoding="utf-8"))


def factor_names() -> tuple[str, ...]:
    return tuple(_spec()["factors"])


def label(name: str) -> str:
    return str(_spec()["factors"][name]["label"])


def physical_step() -> float:
    """What one stated physical limit clashed with costs a program's total (data/weights.yaml)."""
    return float(_spec()["physical"]["step"])


def diversity_key() -> tuple[str, ...]:
    return tuple(_spec()["diversity"]["key"])


def weights(overrides: Any = None) -> dict[str, float]:
    """Defaults with a counselor's overrides applied; unknown names and negative or
    non-numeric values are refused, and all-zero weights are refused."""
    out = {name: float(spec["weight"]) for name, spec in _spec()["factors"].items()}
    if overrides in (None, {}):
        return out
    if not isinstance(overrides, dict):
        raise InvalidInput("权重应为 JSON 对象，例如 {\"shortage\": 0.3}。", code="bad_weights")
    for name, value in overrides.items():
        if name not in out:
            raise InvalidInput(f"没有名为“{name}”的权重，可选：{'、'.join(out)}。",
                               code="bad_weights", detail={"weight": name})
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidInput(f"权重“{name}”应为不小于 0 的数字。", code="bad_weights",
                               detail={"weight": name, "value": value})
        out[name] = float(value)
    if sum(out.values()) <= 0:
        raise InvalidInput("权重不能全为 0。", code="bad_weights")
    return out
