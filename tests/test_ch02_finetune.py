"""course.train.finetune against the libraries that do the same jobs (chapters 2, 18 and 44)."""
import pytest
import torch
import torch.nn.functional as F

from course.models import GPT, Bert, BertClassifier, BertConfig, GPTConfig, gpt_from_hf_gpt2
from course.train import (GPTClassifier, discriminative_param_groups, hidden_states, last_token, layer_groups,
                          probe_accuracy, set_trainable, sft_targets, train_linear_probe, unfreeze_top)

transformers = pytest.importorskip("transformers")


def _hf_gpt2():
    cfg = transformers.GPT2Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=3, n_head=4,
                                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(cfg).eval()


def test_hidden_states_equal_transformers_output_hidden_states():
    hf = _hf_gpt2()
    ours = gpt_from_hf_gpt2(hf).eval()
    ids = torch.randint(0, 61, (2, 10))
    with torch.no_grad():
        theirs = hf(ids, output_hidden_states=True).hidden_states        # embeddings, blocks; ln_f on the last
        mine = hidden_states(ours, ids)
    assert len(mine) == len(theirs) == 4
    for a, b in zip(mine[:-1], theirs[:-1]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.norm(mine[-1]), theirs[-1], rtol=1e-4, atol=1e-5)


def test_bert_hidden_states_end_with_encode():
    bert = Bert(BertConfig()).eval()
    ids = torch.randint(0, 64, (3, 7))
    real = torch.ones(3, 7, dtype=torch.bool)
    real[0, 5:] = False
    states = hidden_states(BertClassifier(bert, 2), ids, real)
    assert len(states) == bert.config.n_layers + 1
    torch.testing.assert_close(states[-1], bert.encode(ids, real))


def test_sft_loss_equals_transformers_loss_with_masked_labels():
    """transformers shifts the labels inside the model; sft_targets shifts outside: same loss."""
    hf = _hf_gpt2()
    ids = torch.randint(1, 61, (3, 9))
    prompt, lengths = torch.tensor([3, 5, 1]), torch.tensor([9, 7, 4])
    labels = ids.clone()
    pos = torch.arange(9)[None]
    labels[(pos < prompt[:, None]) | (pos >= lengths[:, None])] = -100
    inputs, targets = sft_targets(ids, prompt, lengths)
    with torch.no_grad():
        theirs = hf(ids, labels=labels).loss
        logits = hf(ids).logits[:, :-1]
    mine = F.cross_entropy(logits.reshape(-1, 61), targets.reshape(-1))
    torch.testing.assert_close(mine, theirs)
    assert torch.equal(inputs, ids[:, :-1])
    assert (targets != -100).sum() == int((lengths - prompt).sum())
    _, unmasked = sft_targets(ids, prompt, lengths, mask_prompt=False)
    assert (unmasked != -100).sum() == int((lengths - 1).sum())


def test_linear_probe_equals_scikit_learn_logistic_regression():
    sklearn = pytest.importorskip("sklearn.linear_model")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 6, generator=g)
    y = (x @ torch.randn(6, 3, generator=g) + 0.5 * torch.randn(300, 3, generator=g)).argmax(1)
    l2 = 1e-2
    probe = train_linear_probe(x, y, 3, l2=l2)
    ref = sklearn.LogisticRegression(C=1 / (l2 * len(x)), max_iter=2000, tol=1e-10).fit(x.numpy(), y.numpy())
    theirs = torch.tensor(ref.predict_proba(x.numpy()), dtype=torch.float32)
    torch.testing.assert_close(probe(x).softmax(-1), theirs, rtol=1e-3, atol=1e-3)
    assert probe_accuracy(probe, x, y) == pytest.approx(ref.score(x.numpy(), y.numpy()))
    binary = y.clamp(max=1)                           # two classes: scikit-learn fits w = W1 - W0, C doubles
    probe = train_linear_probe(x, binary, 2, l2=l2)
    ref = sklearn.LogisticRegression(C=2 / (l2 * len(x)), max_iter=2000, tol=1e-10).fit(x.numpy(), binary.numpy())
    torch.testing.assert_close(probe(x).softmax(-1), torch.tensor(ref.predict_proba(x.numpy()), dtype=torch.float32),
                               rtol=1e-3, atol=1e-3)


def test_layer_groups_hold_every_parameter_once_bottom_to_top():
    gpt = GPT(GPTConfig.preset("tiny"))
    model = GPTClassifier(gpt, 3)
    groups = layer_groups(model)
    assert len(groups) == gpt.config.n_layers + 2
    flat = [id(p) for g in groups for p in g]
    assert sorted(flat) == sorted({id(p) for p in model.parameters()}) and len(flat) == len(set(flat))
    assert any(p is gpt.tok_emb.weight for p in groups[0])           # tied head weight stays with embeddings
    assert any(p is model.head.weight for p in groups[-1])


def test_discriminative_groups_step_each_layer_with_its_own_rate():
    """One torch SGD step with the groups moves each layer by its own lr × gradient."""
    model = GPTClassifier(GPT(GPTConfig.preset("tiny")), 2)
    groups = layer_groups(model)
    param_groups = discriminative_param_groups(groups, lr=0.1, decay=2.0)
    assert [g["lr"] for g in param_groups] == pytest.approx([0.1 / 2 ** k for k in range(len(groups) - 1, -1, -1)])
    before = [[p.detach().clone() for p in g] for g in groups]
    opt = torch.optim.SGD(param_groups, lr=1.0)
    ids = torch.randint(0, 65, (4, 6))
    model(ids, torch.tensor([6, 3, 2, 5]), torch.tensor([0, 1, 1, 0])).loss.backward()
    grads = [[p.grad.clone() for p in g] for g in groups]
    opt.step()
    for group, old, grad, settings in zip(groups, before, grads, param_groups):
        for p, o, gr in zip(group, old, grad):
            torch.testing.assert_close(p.detach(), o - settings["lr"] * gr)


def test_unfreeze_top_and_set_trainable():
    model = GPTClassifier(GPT(GPTConfig.preset("tiny")), 2)
    groups = layer_groups(model)
    n = unfreeze_top(groups, 1)
    assert n == sum(p.numel() for p in groups[-1])
    assert all(not p.requires_grad for g in groups[:-1] for p in g)
    assert unfreeze_top(groups, len(groups)) == sum(p.numel() for p in model.parameters())
    assert set_trainable(model.head, False) == sum(p.numel() for p in model.head.parameters())
    assert not model.head.weight.requires_grad


def test_last_token_and_the_classifier():
    hidden = torch.randn(3, 5, 4)
    lengths = torch.tensor([5, 1, 3])
    torch.testing.assert_close(last_token(hidden, lengths), torch.stack([hidden[0, 4], hidden[1, 0], hidden[2, 2]]))
    model = GPTClassifier(GPT(GPTConfig.preset("tiny")), 2).eval()
    ids = torch.randint(1, 65, (2, 6))
    padded = ids.clone()
    padded[1, 4:] = 0
    lengths = torch.tensor([6, 4])
    with torch.no_grad():                           # padding after the last token changes nothing (causal)
        torch.testing.assert_close(model(padded, lengths).logits[1], model(ids[1:, :4], lengths[1:]).logits[0])


def test_gpt_classifier_equals_transformers_gpt2_for_sequence_classification():
    """Both read the last non-padding token; HF's score layer has no bias, so ours is set to zero."""
    cfg = transformers.GPT2Config(vocab_size=61, n_positions=16, n_embd=32, n_layer=2, n_head=4, num_labels=3,
                                  pad_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(0)
    hf = transformers.GPT2ForSequenceClassification(cfg).eval()
    lm = transformers.GPT2LMHeadModel(cfg)
    lm.transformer.load_state_dict(hf.transformer.state_dict())
    ours = GPTClassifier(gpt_from_hf_gpt2(lm.eval()), 3).eval()
    with torch.no_grad():
        ours.head.weight.copy_(hf.score.weight)
        ours.head.bias.zero_()
    ids = torch.randint(1, 61, (3, 9))
    lengths = torch.tensor([9, 5, 2])
    ids[torch.arange(9)[None] >= lengths[:, None]] = 0
    with torch.no_grad():
        torch.testing.assert_close(ours(ids, lengths).logits, hf(ids).logits, rtol=1e-4, atol=1e-5)


def test_agreement_pairs_random_attractor_is_balanced():
    """attractor="random": the attractor's number is drawn on its own, so the nearest noun does not
    predict the verb; the default still gives the opposite number (chapters 1, 16 keep their outputs)."""
    from course.text import agreement_pairs

    def nearest_plural(prefix):
        words = prefix.split()
        noun = words[-1] if words[-2] == "the" else words[-2]
        return noun.endswith("s") or noun in ("children", "people", "men", "women", "mice", "geese")

    def subject_plural(prefix, right):
        return right.strip().split()[0] in ("run", "are", "were", "sing", "laugh") or not right.strip().split()[0].endswith("s")

    rnd = agreement_pairs(400, seed=1, attractor="random")
    same = sum(nearest_plural(p) == subject_plural(p, r) for p, r, _ in rnd)
    assert 120 < same < 280
    opp = agreement_pairs(400, seed=1)
    assert sum(nearest_plural(p) == subject_plural(p, r) for p, r, _ in opp) < 20
    assert opp == agreement_pairs(400, seed=1, attractor="opposite")
