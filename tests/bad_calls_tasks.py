"""Wrong calls of the task chapters' helpers (chapters 49–50), each answered by an error naming the argument."""
import torch

import course.attribution
from course.attribution import attention_rollout, gradient_x_input
from course.models import Bert, BertClassifier, BertConfig

_model = BertClassifier(Bert(BertConfig(vocab_size=20)), 2)
_ids = torch.zeros(2, 4, dtype=torch.long)
_att = torch.softmax(torch.randn(1, 2, 4, 4), -1)

PUBLIC_MODULES = [course.attribution]

BAD_CALLS = [
    (gradient_x_input, "model must be", lambda: gradient_x_input("bert", _ids, torch.tensor([0, 1]))),
    (gradient_x_input, "ids must have a int dtype", lambda: gradient_x_input(_model, _ids.float(), torch.tensor([0, 1]))),
    (gradient_x_input, "target must hold one class per row", lambda: gradient_x_input(_model, _ids, torch.tensor([0]))),
    (gradient_x_input, "target must hold classes in [0, 2)", lambda: gradient_x_input(_model, _ids, torch.tensor([0, 2]))),
    (gradient_x_input, "token embedding", lambda: gradient_x_input(torch.nn.Linear(2, 2), _ids, torch.tensor([0, 1]))),
    (attention_rollout, "attentions must be a non-empty list", lambda: attention_rollout(_att)),
    (attention_rollout, "attentions[1] must be (B, H, T, T)", lambda: attention_rollout([_att, _att[..., :3]])),
    (attention_rollout, "residual must be", lambda: attention_rollout([_att], residual=1.5)),
]

import course.qa  # noqa: E402
from course.qa import best_span  # noqa: E402

PUBLIC_MODULES.append(course.qa)
BAD_CALLS += [
    (best_span, "start_logits must have 2 dimensions", lambda: best_span(torch.zeros(5), torch.zeros(5))),
    (best_span, "end_logits", lambda: best_span(torch.zeros(2, 5), torch.zeros(2, 6))),
    (best_span, "allowed must have a bool dtype", lambda: best_span(torch.zeros(2, 5), torch.zeros(2, 5), torch.ones(2, 5))),
    (best_span, "max_len must be >= 1", lambda: best_span(torch.zeros(2, 5), torch.zeros(2, 5), max_len=0)),
]
