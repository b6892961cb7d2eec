"""Saving and loading the course's own models without pickle.

Weights go to a ``.safetensors`` file (plain tensors, nothing executable) and the model's config to a
JSON file beside it, so that loading never runs code from the file.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .models import GPT, Bert, BertConfig, GPTConfig, Seq2SeqConfig, Seq2SeqTransformer

__all__ = ["save_model", "load_model"]

_KINDS = {"GPT": (GPT, GPTConfig), "Bert": (Bert, BertConfig), "Seq2SeqTransformer": (Seq2SeqTransformer, Seq2SeqConfig)}


def save_model(model: torch.nn.Module, path: str | Path) -> Path:
    """Write ``path`` (.safetensors) and ``path`` with suffix .json (kind + config). Returns the weights path."""
    kind = type(model).__name__
    if kind not in _KINDS:
        raise TypeError(f"model must be one of {', '.join(_KINDS)}, got {kind}")
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    # tied weights share memory; safetensors stores each tensor once, so drop the alias
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_weights", False):
        state.pop("head.weight", None)
    save_file(state, str(path))
    path.with_suffix(".json").write_text(json.dumps({"kind": kind, "config": dataclasses.asdict(model.config)},
                                                    indent=1))
    return path


def load_model(path: str | Path, device=None) -> torch.nn.Module:
    """Rebuild a model saved by :func:`save_model`. Only .safetensors files are accepted."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"path must be a .safetensors file (pickled checkpoints can run code), got {path.name}")
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        raise FileNotFoundError(f"need both {path.name} and {meta_path.name} in {path.parent}")
    meta = json.loads(meta_path.read_text())
    if meta.get("kind") not in _KINDS:
        raise ValueError(f"{meta_path.name} names an unknown model kind {meta.get('kind')!r}")
    model_cls, config_cls = _KINDS[meta["kind"]]
    model = model_cls(config_cls(**meta["config"]))
    missing, unexpected = model.load_state_dict(load_file(str(path)), strict=False)
    allowed_missing = {"head.weight"} if getattr(model.config, "tie_weights", False) else set()
    if unexpected or set(missing) - allowed_missing:
        raise ValueError(f"{path.name} does not fit a {meta['kind']}: missing {missing}, unexpected {unexpected}")
    return model.to(device) if device is not None else model
