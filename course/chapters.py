"""The registry of the 50 chapters: chapter N answers question N of the seed question set.

The Chinese title and prompt are exactly as written in the seed (a test checks this when the seed is
beside the checkout). The seed repeats some questions; repeated questions are separate chapters with
different angles, linked through ``related``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .validate import check_int

__all__ = ["Chapter", "CHAPTERS", "chapter", "chapter_map_markdown", "available_chapters", "DUPLICATE_GROUPS"]

# Chapters that ask the same (or nearly the same) question in the seed.
DUPLICATE_GROUPS = ((26, 36), (27, 32, 37), (28, 33, 38), (29, 34, 39), (30, 35, 40), (21, 31))
# Other close relatives, taught in one chapter and built on in another.
_RELATED = {1: (14, 41), 2: (42, 44), 3: (15,), 4: (16, 17), 6: (25, 30), 7: (20,), 8: (21, 26),
            12: (18, 13), 14: (19, 39), 16: (4, 17), 20: (7, 43), 24: (47, 43), 42: (2, 44)}


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title_zh: str        # the question's heading in the seed
    prompt_zh: str       # the seed's 题目 line
    title_en: str
    cluster: str

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.slug}.ipynb"

    @property
    def related(self) -> tuple[int, ...]:
        out = list(_RELATED.get(self.number, ()))
        for group in DUPLICATE_GROUPS:
            if self.number in group:
                out += [n for n in group if n != self.number]
        out += [n for n, rel in _RELATED.items() if self.number in rel]
        return tuple(sorted(set(out) - {self.number}))


_TABLE = (
    (1, "llm_basics", "大语言模型的基本原理是什么？", "请简要介绍大语言模型的基本原理。",
     "What are the basic principles of large language models?", "families"),
    (2, "pretraining_and_finetuning", "如何通过预训练和微调训练大语言模型？", "请详细解释大语言模型的预训练和微调过程。",
     "How are large language models trained by pretraining and fine-tuning?", "families"),
    (3, "gpt3_architecture", "GPT-3 模型的架构特点是什么？", "请分析 GPT-3 模型的架构特点。",
     "What are the architectural features of GPT-3?", "families"),
    (4, "how_attention_works", "语言模型中的注意力机制如何工作？", "请解释语言模型中的注意力机制。",
     "How does the attention mechanism in language models work?", "attention"),
    (5, "regularization_methods", "语言模型的正则化方法有哪些？", "请列举并简要介绍语言模型中常用的正则化方法。",
     "What regularization methods do language models use?", "regularization"),
    (6, "lm_loss", "如何计算语言模型的损失函数？", "请解释语言模型中常用的损失函数，并说明如何计算。",
     "How is the loss function of a language model computed?", "training"),
    (7, "gradient_clipping", "语言模型中的梯度裁剪方法有哪些？", "请列举并简要介绍语言模型中常用的梯度裁剪方法。",
     "What gradient clipping methods do language models use?", "training"),
    (8, "optimizers", "语言模型中的优化算法有哪些？", "请列举并简要介绍语言模型中常用的优化算法。",
     "What optimization algorithms do language models use?", "training"),
    (9, "evaluating_lms", "如何评估语言模型的效果？", "请说明评估语言模型效果的方法。",
     "How is a language model evaluated?", "evaluation"),
    (10, "improving_lms", "如何提高语言模型的性能？", "请提出几种提高语言模型性能的方法。",
     "How can the performance of a language model be improved?", "evaluation"),
    (11, "context_window", "语言模型中的上下文窗口如何设置？", "请解释语言模型中的上下文窗口，并说明如何设置。",
     "How is the context window of a language model set?", "attention"),
    (12, "bert_mlm", "BERT 模型的 Masked Language Model 任务是什么？", "请简要介绍 BERT 模型的 Masked Language Model 任务。",
     "What is BERT's masked language model task?", "families"),
    (13, "bert_bidirectional_encoder", "如何实现 BERT 模型的双向编码器？", "请简要介绍 BERT 模型的双向编码器的实现原理。",
     "How is BERT's bidirectional encoder implemented?", "attention"),
    (14, "gpt_generation", "GPT 模型的生成过程是怎样的？", "请简要介绍 GPT 模型的生成过程。",
     "What does GPT's generation process look like?", "families"),
    (15, "gpt2_vs_gpt3", "GPT-2 和 GPT-3 有哪些区别？", "请简要比较 GPT-2 和 GPT-3 两个模型的主要区别。",
     "What are the differences between GPT-2 and GPT-3?", "families"),
    (16, "self_attention", "语言模型中的自注意力如何工作？", "请解释语言模型中的自注意力机制。",
     "How does self-attention work in language models?", "attention"),
    (17, "multi_head_attention", "语言模型中的多头注意力如何提高性能？", "请解释多头注意力机制如何提高语言模型的性能。",
     "How does multi-head attention improve language models?", "attention"),
    (18, "mlm_and_understanding", "BERT 模型中的 Masked Language Model 任务如何增强语言理解？", "请解释 BERT 模型中的 Masked Language Model 任务如何增强语言理解。",
     "How does BERT's masked language model task strengthen language understanding?", "families"),
    (19, "coherent_generation", "GPT 模型的生成算法如何保证生成的文本连贯性？", "请解释 GPT 模型的生成算法如何保证生成的文本连贯性。",
     "How does GPT's generation algorithm keep the generated text coherent?", "families"),
    (20, "clipping_vanishing_exploding", "语言模型中的梯度裁剪如何防止梯度消失和梯度爆炸？", "请解释语言模型中的梯度裁剪如何防止梯度消失和梯度爆炸。",
     "How does gradient clipping prevent vanishing and exploding gradients?", "training"),
    (21, "optimizers_training_effect", "语言模型中的优化算法如何提高训练效果？", "请解释语言模型中的优化算法如何提高训练效果。",
     "How do optimization algorithms improve training?", "training"),
    (22, "regularization_overfitting", "语言模型中的正则化方法如何防止过拟合？", "请解释语言模型中的正则化方法如何防止过拟合。",
     "How do regularization methods prevent overfitting?", "regularization"),
    (23, "word_embeddings", "语言模型中的词嵌入技术如何提高文本表示能力？", "请解释语言模型中的词嵌入技术如何提高文本表示能力。",
     "How do word embeddings improve text representation?", "representations"),
    (24, "attention_text_processing", "语言模型中的注意力机制如何提高文本处理能力？", "请解释语言模型中的注意力机制如何提高文本处理能力。",
     "How does attention improve text processing?", "attention"),
    (25, "loss_shapes_training", "语言模型中的损失函数如何影响模型训练？", "请解释语言模型中的损失函数如何影响模型训练。",
     "How does the loss function affect training?", "training"),
    (26, "designing_optimizers_1", "如何设计适合语言模型的优化算法？", "请说明如何设计适合语言模型的优化算法。",
     "How do you design an optimizer suited to language models? (1)", "training"),
    (27, "regularization_compute_1", "语言模型中的正则化方法如何平衡模型性能和计算成本？", "请解释语言模型中的正则化方法如何平衡模型性能和计算成本。",
     "How do regularization methods balance performance and compute? (1)", "regularization"),
    (28, "batch_norm_1", "语言模型中的批归一化（Batch Normalization）方法的作用是什么？", "请解释语言模型中的批归一化方法的作用。",
     "What does batch normalization do in language models? (1)", "regularization"),
    (29, "attention_complexity_1", "语言模型中的自注意力机制如何影响模型计算复杂度？", "请解释语言模型中的自注意力机制如何影响模型计算复杂度。",
     "How does self-attention affect computational complexity? (1)", "attention"),
    (30, "choosing_loss_1", "语言模型中的损失函数选择对模型性能有哪些影响？", "请解释语言模型中的损失函数选择对模型性能有哪些影响。",
     "How does the choice of loss function affect model performance? (1)", "training"),
    (31, "optimizers_training_process", "语言模型中的优化算法如何影响训练过程？", "请解释语言模型中的优化算法如何影响训练过程。",
     "How do optimization algorithms shape the training process?", "training"),
    (32, "regularization_compute_2", "语言模型中的正则化方法如何平衡模型性能和计算成本？", "请解释语言模型中的正则化方法如何平衡模型性能和计算成本。",
     "How do regularization methods balance performance and compute? (2)", "regularization"),
    (33, "batch_norm_2", "语言模型中的批归一化（Batch Normalization）方法的作用是什么？", "请解释语言模型中的批归一化方法的作用。",
     "What does batch normalization do in language models? (2)", "regularization"),
    (34, "attention_complexity_2", "语言模型中的自注意力机制如何影响模型计算复杂度？", "请解释语言模型中的自注意力机制如何影响模型计算复杂度。",
     "How does self-attention affect computational complexity? (2)", "attention"),
    (35, "choosing_loss_2", "语言模型中的损失函数选择对模型性能有哪些影响？", "请解释语言模型中的损失函数选择对模型性能有哪些影响。",
     "How does the choice of loss function affect model performance? (2)", "training"),
    (36, "designing_optimizers_2", "如何设计适合语言模型的优化算法？", "请说明如何设计适合语言模型的优化算法。",
     "How do you design an optimizer suited to language models? (2)", "training"),
    (37, "regularization_compute_3", "语言模型中的正则化方法如何平衡模型性能和计算成本？", "请解释语言模型中的正则化方法如何平衡模型性能和计算成本。",
     "How do regularization methods balance performance and compute? (3)", "regularization"),
    (38, "batch_norm_3", "语言模型中的批归一化（Batch Normalization）方法的作用是什么？", "请解释语言模型中的批归一化方法的作用。",
     "What does batch normalization do in language models? (3)", "regularization"),
    (39, "attention_complexity_3", "语言模型中的自注意力机制如何影响模型计算复杂度？", "请解释语言模型中的自注意力机制如何影响模型计算复杂度。",
     "How does self-attention affect computational complexity? (3)", "attention"),
    (40, "choosing_loss_3", "语言模型中的损失函数选择对模型性能有哪些影响？", "请解释语言模型中的损失函数选择对模型性能有哪些影响。",
     "How does the choice of loss function affect model performance? (3)", "training"),
    (41, "implementing_transformer", "如何实现语言模型中的 Transformer 架构？", "请详细描述如何实现语言模型中的 Transformer 架构。",
     "How is the Transformer architecture implemented?", "attention"),
    (42, "transfer_learning", "如何在语言模型中使用迁移学习？", "请详细解释如何在语言模型中应用迁移学习。",
     "How is transfer learning used with language models?", "families"),
    (43, "long_range_dependencies", "语言模型中的注意力机制如何处理长距离依赖问题？", "请解释语言模型中的注意力机制如何解决长距离依赖问题。",
     "How does attention handle long-range dependencies?", "attention"),
    (44, "combining_pretraining_finetuning", "语言模型中的预训练和微调如何结合？", "请解释语言模型中的预训练和微调是如何结合的。",
     "How are pretraining and fine-tuning combined?", "families"),
    (45, "sparsity_efficiency", "语言模型中的稀疏性和高效性如何实现？", "请解释语言模型中的稀疏性和高效性如何实现。",
     "How are sparsity and efficiency achieved in language models?", "regularization"),
    (46, "text_classification", "语言模型中的文本分类任务如何实现？", "请解释语言模型中的文本分类任务是如何实现的。",
     "How is text classification implemented with language models?", "applications"),
    (47, "seq2seq", "语言模型中的序列到序列（Seq2Seq）任务如何实现？", "请解释语言模型中的序列到序列（Seq2Seq）任务是如何实现的。",
     "How are sequence-to-sequence tasks implemented?", "applications"),
    (48, "ner", "语言模型中的命名实体识别（NER）任务如何实现？", "请解释语言模型中的命名实体识别（NER）任务是如何实现的。",
     "How is named entity recognition implemented?", "applications"),
    (49, "sentiment_analysis", "语言模型中的情感分析任务如何实现？", "请解释语言模型中的情感分析任务是如何实现的。",
     "How is sentiment analysis implemented?", "applications"),
    (50, "question_answering", "语言模型中的问答系统（QA）任务如何实现？", "请解释语言模型中的问答系统（QA）任务是如何实现的。",
     "How is question answering implemented?", "applications"),
)

CHAPTERS: tuple[Chapter, ...] = tuple(Chapter(*row) for row in _TABLE)


def chapter(number: int) -> Chapter:
    """The chapter with this number (1..50)."""
    check_int("number", number, minimum=1)
    if number > len(CHAPTERS):
        raise ValueError(f"number must be in 1..{len(CHAPTERS)}, got {number}")
    return CHAPTERS[number - 1]


def chapter_map_markdown(available: set[int] | None = None, link_prefix: str = "notebooks/", *,
                         grey_planned: bool = False) -> str:
    """A Markdown table of all chapters; ``available`` marks which notebooks exist yet.

    ``link_prefix`` is the notebooks folder as seen from the document ("" inside a notebook). Planned
    chapters are never linked; ``grey_planned`` also greys their rows out (an inline colour that
    JupyterLab keeps and GitHub drops, so it is off for the README).
    """
    rows = ["| # | question | 题目 | cluster |", "|---|---|---|---|"]
    for c in CHAPTERS:
        ready = available is None or c.number in available
        cells = [str(c.number), f"[{c.title_en}]({link_prefix}{c.notebook})" if ready
                 else f"{c.title_en} *(planned)*", c.title_zh, c.cluster]
        if not ready and grey_planned:
            cells = [f'<span style="color:#999999">{cell}</span>' for cell in cells]
        rows.append(f"| {' | '.join(cells)} |")
    return "\n".join(rows)


def available_chapters(folder) -> set[int]:
    """Numbers of the chapters whose notebook exists in ``folder``."""
    from pathlib import Path
    return {c.number for c in CHAPTERS if (Path(folder) / c.notebook).exists()}
