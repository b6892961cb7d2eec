"""Chapter 12: course.models.mask_tokens follows BERT's rule and agrees with transformers' MLM collator."""
import pytest
import torch

from course.models import mask_tokens

V, MASK, SPECIAL = 200, 4, (0, 1, 2, 3, 4)        # ids 0–4 are special: pad, unk, cls, sep, mask


def _ids(seed=0, b=400, t=40):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (b, t), generator=g)
    ids[:, 0], ids[:, -1] = 2, 3                                   # [CLS] … [SEP]
    ids[: b // 2, -8:] = 0                                         # padding in half the rows
    return ids, torch.isin(ids, torch.tensor(SPECIAL))


def _proportions(ids, special, inputs, labels):
    sel = labels != -100
    shown, orig = inputs[sel], ids[sel]
    n = sel.sum().item()
    return {"selected": (sel.sum() / (~special).sum()).item(), "mask": ((shown == MASK).sum() / n).item(),
            "same": ((shown == orig).sum() / n).item(),
            "other": (((shown != MASK) & (shown != orig)).sum() / n).item()}, n, int((~special).sum())


def _within(props, n_sel, n_eligible, expected, sigmas=4):
    for key, p in expected.items():
        n = n_eligible if key == "selected" else n_sel
        assert abs(props[key] - p) < sigmas * (p * (1 - p) / n) ** 0.5, (key, props[key], p)


EXPECTED = {"selected": 0.15, "mask": 0.8 + 0.1 / V, "same": 0.1 + 0.1 / V, "other": 0.1 * (V - 2) / V}


def test_mask_tokens_follows_the_15_80_10_10_rule():
    ids, special = _ids()
    inputs, labels = mask_tokens(ids, MASK, V, special=special, generator=torch.Generator().manual_seed(1))
    sel = labels != -100
    assert torch.equal(labels[sel], ids[sel]) and not (sel & special).any()
    assert torch.equal(inputs[~sel], ids[~sel])                    # nothing changes outside the selection
    _within(*_proportions(ids, special, inputs, labels), EXPECTED)


def test_same_proportions_as_transformers_collator_on_the_same_input():
    from tokenizers import Tokenizer, models
    from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerFast

    vocab = {f"w{i}": i for i in range(V)}
    hf = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="w1")),
                                 pad_token="w0", unk_token="w1", cls_token="w2", sep_token="w3", mask_token="w4")
    assert hf.mask_token_id == MASK and len(hf) == V
    ids, special = _ids(seed=2)
    collator = DataCollatorForLanguageModeling(hf, mlm_probability=0.15, seed=0, return_tensors="pt")
    batch = collator([{"input_ids": i, "special_tokens_mask": s} for i, s in zip(ids.tolist(), special.int().tolist())])
    theirs = _proportions(ids, special, batch["input_ids"], batch["labels"])
    ours = _proportions(ids, special, *mask_tokens(ids, MASK, V, special=special,
                                                   generator=torch.Generator().manual_seed(0)))
    _within(*theirs, EXPECTED)
    _within(*ours, EXPECTED)
    for key in EXPECTED:                                           # and the two agree with each other
        n = (ours[2] if key == "selected" else ours[1])
        assert abs(ours[0][key] - theirs[0][key]) < 4 * (2 * EXPECTED[key] * (1 - EXPECTED[key]) / n) ** 0.5, key


def test_other_mixes_match_transformers_parameters():
    ids, special = _ids(seed=3)
    for mask_p, random_p in ((1.0, 0.0), (0.8, 0.0), (0.8, 0.2), (0.5, 0.3)):
        inputs, labels = mask_tokens(ids, MASK, V, special=special, generator=torch.Generator().manual_seed(4),
                                     mask_replace_prob=mask_p, random_replace_prob=random_p)
        keep = 1 - mask_p - random_p
        expected = {"selected": 0.15, "mask": mask_p + random_p / V, "same": keep + random_p / V,
                    "other": random_p * (V - 2) / V}
        props, n_sel, n_el = _proportions(ids, special, inputs, labels)
        if mask_p == 1.0:
            assert props["mask"] == 1.0
        for key, p in expected.items():
            if 0 < p < 1:
                _within({key: props[key]}, n_sel, n_el, {key: p})
            else:
                assert props[key] == pytest.approx(p, abs=1e-6), key


def test_default_mix_keeps_the_draws_of_the_pretraining_recipe():
    ids, special = _ids(seed=5, b=8, t=12)
    a = mask_tokens(ids, MASK, V, special=special, generator=torch.Generator().manual_seed(0))
    # the pretraining recipe's original draws, inlined: select 15 %, then roll < 0.8 -> [MASK], < 0.9 -> random
    g = torch.Generator().manual_seed(0)
    selected = (torch.rand(ids.shape, generator=g) < 0.15) & ~special
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=g)
    inputs = ids.clone()
    inputs[selected & (roll < 0.8)] = MASK
    random_pos = selected & (roll >= 0.8) & (roll < 0.9)
    inputs[random_pos] = torch.randint(V, ids.shape, generator=g)[random_pos]
    assert torch.equal(a[0], inputs) and torch.equal(a[1], labels)


@pytest.mark.parametrize("kwargs, message", [
    ({"mask_replace_prob": 1.5}, "mask_replace_prob must be in [0, 1]"),
    ({"random_replace_prob": -0.1}, "random_replace_prob must be >= 0"),
    ({"mask_replace_prob": 0.8, "random_replace_prob": 0.3}, "mask_replace_prob + random_replace_prob must be <= 1"),
])
def test_bad_mixes_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("+", r"\+")):
        mask_tokens(torch.zeros(1, 3, dtype=torch.long), MASK, V, **kwargs)
