"""Fine-tuning a pretrained model: layer groups, freezing, discriminative learning rates, gradual
unfreezing, per-layer features with linear probes, a sequence classifier on a GPT, and SFT loss masking.

Layer groups run bottom to top: ``[embeddings, block 0, …, block L−1, top]``, where *top* is everything
else (the final norm, the LM head, a task head). A weight shared by two groups (GPT's tied embedding and
output matrix) belongs to the lowest one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models import GPT, Bert
from ..models.output import ModelOutput
from ..validate import check_int, check_module, check_number, check_positive, check_tensor

__all__ = ["layer_groups", "set_trainable", "unfreeze_top", "discriminative_param_groups", "hidden_states",
           "last_token", "GPTClassifier", "train_linear_probe", "probe_accuracy", "sft_targets"]


def _backbone(model: nn.Module) -> nn.Module:
    """The GPT or Bert inside ``model`` (the model itself, or its ``.gpt`` / ``.bert``)."""
    check_module("model", model)
    for inner in (model, getattr(model, "gpt", None), getattr(model, "bert", None)):
        if isinstance(inner, (GPT, Bert)):
            return inner
    raise TypeError(f"model must be a course GPT or Bert, or wrap one as .gpt or .bert, "
                    f"got {type(model).__name__}")


def layer_groups(model: nn.Module) -> list[list[nn.Parameter]]:
    """Parameters of ``model`` in L + 2 groups, bottom to top: embeddings, each block, the rest."""
    core = _backbone(model)
    seen: set[int] = set()

    def take(params):
        out = [p for p in params if id(p) not in seen]
        seen.update(id(p) for p in out)
        return out

    embedding_names = ("tok_emb", "pos_emb", "seg_emb", "emb_norm")
    embeddings = take(p for name, p in core.named_parameters() if name.startswith(embedding_names))
    if not embeddings:
        raise ValueError(f"found no embedding parameters (names starting with {embedding_names}) in the model")
    blocks = [take(block.parameters()) for block in core.blocks]
    return [embeddings, *blocks, take(model.parameters())]


def set_trainable(params, trainable: bool) -> int:
    """Set ``requires_grad`` of a module's parameters (or of an iterable of parameters); returns how many
    numbers that concerns."""
    if isinstance(params, nn.Module):
        params = params.parameters()
    if not isinstance(trainable, bool):
        raise TypeError(f"trainable must be True or False, got {type(trainable).__name__} {trainable!r}")
    params = list(params)
    if not all(isinstance(p, torch.Tensor) for p in params):
        raise TypeError("params must be a module or an iterable of parameters")
    for p in params:
        p.requires_grad_(trainable)
    return sum(p.numel() for p in params)


def unfreeze_top(groups: list[list[nn.Parameter]], k: int) -> int:
    """Gradual unfreezing (Howard & Ruder, 2018): only the top ``k`` groups train, the others are frozen.
    Returns the number of trainable numbers."""
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in groups):
        raise TypeError("groups must be a list of parameter lists, as layer_groups(model) returns")
    check_int("k", k, minimum=0, maximum=len(groups))
    for i, group in enumerate(groups):
        set_trainable(group, i >= len(groups) - k)
    return sum(p.numel() for group in groups[len(groups) - k:] for p in group)


def discriminative_param_groups(groups: list[list[nn.Parameter]], lr: float, decay: float = 2.6) -> list[dict]:
    """Optimizer parameter groups with the top group at ``lr`` and each lower one ``decay`` times smaller
    (ULMFiT's discriminative fine-tuning uses 2.6). ``decay=1`` gives one learning rate everywhere."""
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in groups):
        raise TypeError("groups must be a list of parameter lists, as layer_groups(model) returns")
    check_positive("lr", lr)
    if check_number("decay", decay) < 1:
        raise ValueError(f"decay must be >= 1 (lower layers learn more slowly), got {decay}")
    n = len(groups)
    return [{"params": group, "lr": lr / decay ** (n - 1 - i)} for i, group in enumerate(groups) if group]


def hidden_states(model: nn.Module, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
    """The representation at every depth: the embedding output (the input of block 0), then each
    block's output — L + 1 tensors of shape (B, T, d). ids (B, T); attention_mask (B, T) bool, Bert only
    (a GPT is causal: with right padding, real positions never attend to padding)."""
    core = _backbone(model)
    check_tensor("ids", ids, ndim=2, dtype="int")
    if attention_mask is not None and not isinstance(core, Bert):
        raise ValueError("attention_mask is only used by Bert; a GPT is causal")
    states: list[torch.Tensor] = []
    hooks = [core.blocks[0].register_forward_pre_hook(lambda module, args: states.append(args[0]))]
    hooks += [block.register_forward_hook(lambda module, args, out: states.append(out)) for block in core.blocks]
    try:
        if isinstance(core, Bert):
            core.encode(ids, attention_mask)
        else:
            core(ids)
    finally:
        for hook in hooks:
            hook.remove()
    return states


def last_token(hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """hidden (B, T, d), lengths (B,) real tokens per row (right padding) -> (B, d): the vector of each
    row's last real token, the only one a causal model has computed from the whole sequence."""
    check_tensor("hidden", hidden, ndim=3, dtype="float")
    check_tensor("lengths", lengths, ndim=1, dtype="int")
    if lengths.shape[0] != hidden.shape[0]:
        raise ValueError(f"lengths must have one entry per row of hidden ({hidden.shape[0]}), got {lengths.shape[0]}")
    if lengths.device.type == "cpu" and lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > hidden.shape[1]):
        raise ValueError(f"lengths must lie in [1, {hidden.shape[1]}], got min {int(lengths.min())}, "
                         f"max {int(lengths.max())}")
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), lengths - 1]


class GPTClassifier(nn.Module):
    """A GPT with a linear head on its last real token: ids (B, T), lengths (B,) -> logits (B, n_classes).

    The LM head is kept (unused here) so that the same weights still compute next-token logits.
    """

    def __init__(self, gpt: GPT, n_classes: int):
        super().__init__()
        if not isinstance(gpt, GPT):
            raise TypeError(f"gpt must be a course GPT, got {type(gpt).__name__}")
        check_int("n_classes", n_classes, minimum=2)
        self.gpt = gpt
        self.head = nn.Linear(gpt.config.d_model, n_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor | None = None) -> ModelOutput:
        features = self.gpt.norm(last_token(hidden_states(self.gpt, ids)[-1], lengths))    # (B, d)
        logits = self.head(features)
        return ModelOutput(logits, F.cross_entropy(logits, labels) if labels is not None else None)


def train_linear_probe(features: torch.Tensor, labels: torch.Tensor, n_classes: int | None = None, *,
                       l2: float = 1e-3, max_iter: int = 200) -> nn.Linear:
    """Multinomial logistic regression on frozen features, fitted to convergence with L-BFGS.

    Equals scikit-learn's LogisticRegression with a matching C (chapter 18 derives it).
    features (N, d) float; labels (N,) int in [0, n_classes).
    """
    check_tensor("features", features, ndim=2, dtype="float", nonempty=True)
    check_tensor("labels", labels, ndim=1, dtype="int")
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"labels must have one entry per row of features ({features.shape[0]}), got {labels.shape[0]}")
    n_classes = int(labels.max()) + 1 if n_classes is None else check_int("n_classes", n_classes, minimum=2)
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {int(labels.min())} to {int(labels.max())}")
    check_positive("l2", l2, allow_zero=True)
    check_int("max_iter", max_iter, minimum=1)
    x, y = features.detach().double(), labels
    probe = nn.Linear(x.shape[1], n_classes).double()
    nn.init.zeros_(probe.weight)
    nn.init.zeros_(probe.bias)
    opt = torch.optim.LBFGS(probe.parameters(), lr=1, max_iter=max_iter, tolerance_grad=1e-9,
                            tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(probe(x), y) + l2 / 2 * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return probe.float().requires_grad_(False)


def probe_accuracy(probe: nn.Linear, features: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows whose arg-max class is the label. features (N, d); labels (N,)."""
    if not isinstance(probe, nn.Linear):
        raise TypeError(f"probe must be an nn.Linear (train_linear_probe returns one), got {type(probe).__name__}")
    check_tensor("features", features, ndim=2, dtype="float", last_dim=probe.in_features)
    check_tensor("labels", labels, ndim=1, dtype="int")
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"labels must have one entry per row of features ({features.shape[0]}), got {labels.shape[0]}")
    with torch.no_grad():
        return (probe(features.float()).argmax(-1) == labels).float().mean().item()


def sft_targets(ids: torch.Tensor, prompt_lengths: torch.Tensor, lengths: torch.Tensor,
                mask_prompt: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token inputs and targets for supervised fine-tuning on ``prompt + response`` rows.

    ids (B, T) right-padded; prompt_lengths, lengths (B,). Returns ``(inputs, targets)``, both (B, T−1):
    ``targets[b, t] = ids[b, t+1]``, set to −100 (ignored by the loss) on padding and, with
    ``mask_prompt``, wherever ids[b, t+1] is a prompt token — the loss then counts the response only.
    """
    check_tensor("ids", ids, ndim=2, dtype="int")
    if ids.shape[1] < 2:
        raise ValueError(f"ids must have at least 2 tokens per row, got shape {tuple(ids.shape)}")
    for name, x in (("prompt_lengths", prompt_lengths), ("lengths", lengths)):
        check_tensor(name, x, ndim=1, dtype="int")
        if x.shape[0] != ids.shape[0]:
            raise ValueError(f"{name} must have one entry per row of ids ({ids.shape[0]}), got {x.shape[0]}")
    if bool((prompt_lengths < 1).any()) or bool((prompt_lengths >= lengths).any()) or bool((lengths > ids.shape[1]).any()):
        raise ValueError("need 1 <= prompt_lengths < lengths <= T: every row has a prompt and a response")
    if not isinstance(mask_prompt, bool):
        raise TypeError(f"mask_prompt must be True or False, got {type(mask_prompt).__name__}")
    position = torch.arange(1, ids.shape[1], device=ids.device)[None]          # position of each target
    keep = position < lengths[:, None]
    if mask_prompt:
        keep &= position >= prompt_lengths[:, None]
    return ids[:, :-1], ids[:, 1:].masked_fill(~keep, -100)
