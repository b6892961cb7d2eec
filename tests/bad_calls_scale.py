"""Wrong calls to the scale-training helpers (chapters 26, 36, 40), each answered by a clear message."""
import torch

import course.train.memory
from course.models import GPT, GPTConfig
from course.train import held_bytes, megatron_activation_bytes, training_memory

_tiny = GPT(GPTConfig.preset("tiny", vocab_size=20))

BAD_CALLS = [
    (training_memory, "n_params must be an int", lambda: training_memory(7e9)),
    (training_memory, "precision must be one of", lambda: training_memory(10, precision="bf16")),
    (training_memory, "optimizer must be one of", lambda: training_memory(10, optimizer="adamw")),
    (training_memory, "zero_stage must be <= 3", lambda: training_memory(10, zero_stage=4)),
    (training_memory, "n_gpus must be >= 1", lambda: training_memory(10, n_gpus=0)),
    (held_bytes, "model must be a torch.nn.Module", lambda: held_bytes(list(_tiny.parameters()))),
    (held_bytes, "optimizer must be a torch.optim.Optimizer", lambda: held_bytes(_tiny, "adam")),
    (megatron_activation_bytes, "seq_len must be >= 1", lambda: megatron_activation_bytes(0, 1, 8, 2, 1)),
]

NOTHING_TO_VALIDATE = {
    course.train.memory.MemoryBreakdown: "a record that the calculator and the meter return; learners read it",
}

import course.distributed
from course.distributed import data_parallel_run, free_port, launch, single_process_run

_batch = [(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 4, dtype=torch.long))]

BAD_CALLS += [
    (launch, "worker must be defined at the top level", lambda: launch(lambda rank, world: rank, 2)),
    (launch, "world_size must be >= 1", lambda: launch(free_port, 0)),
    (data_parallel_run, "which world_size=2 processes cannot share equally",
     lambda: data_parallel_run(_tiny, _batch, world_size=2)),
    (data_parallel_run, "batches must be a non-empty list", lambda: data_parallel_run(_tiny, [], world_size=2)),
    (single_process_run, "batches[0] must be a pair", lambda: single_process_run(_tiny, [torch.zeros(2, 4)])),
    (single_process_run, "lr must be > 0", lambda: single_process_run(_tiny, _batch, lr=0)),
    (single_process_run, "batches[0][1]", lambda: single_process_run(
        _tiny, [(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 4))])),
    (single_process_run, "the targets must have x's shape", lambda: single_process_run(
        _tiny, [(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))])),
]
NOTHING_TO_VALIDATE.update({
    free_port: "takes no arguments, so no call can be wrong",
    course.distributed.RunRecord: "a record that the runs return; learners read it",
})
PUBLIC_MODULES = [course.distributed]

from course.train import distillation_loss, info_nce

BAD_CALLS += [
    (distillation_loss, "teacher_logits must have the shape of student_logits",
     lambda: distillation_loss(torch.randn(2, 3, 5), torch.randn(2, 3, 6))),
    (distillation_loss, "temperature must be > 0", lambda: distillation_loss(torch.randn(2, 5), torch.randn(2, 5), 0)),
    (distillation_loss, "student_logits must have a float dtype",
     lambda: distillation_loss(torch.zeros(2, 5, dtype=torch.long), torch.randn(2, 5))),
    (info_nce, "positives must have the same batch size", lambda: info_nce(torch.randn(4, 8), torch.randn(3, 8))),
    (info_nce, "anchors must have 2 dimensions", lambda: info_nce(torch.randn(2, 4, 8), torch.randn(2, 4, 8))),
    (info_nce, "temperature must be > 0", lambda: info_nce(torch.randn(4, 8), torch.randn(4, 8), -1.0)),
]
