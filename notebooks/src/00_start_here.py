# %% [markdown]
# # LLM Interview Lab — start here
#
# Fifty chapters, one per question of a well-known set of Chinese interview questions on large language
# models (大语言模型面试题). Each chapter **answers its question correctly** — the common answers
# circulating with these questions are often vague and sometimes wrong — and then makes you **build,
# train and look at** the thing being asked about, on your laptop's CPU in well under a minute.
#
# Every chapter has the same parts:
#
# 1. **Header** — the question (题目) in Chinese and English, time, prerequisites, objectives.
# 2. **Try first** — write your own interview answer before reading on.
# 3. **What the common answer gets wrong** — the usual answer, claim by claim: correct, incomplete or wrong.
# 4. **Labs** — small experiments with the `course` package; every number printed is computed.
# 5. **Self-test** — code exercises checked automatically, and a quiz.
# 6. **Interview answer card (面试回答要点)** — what to say, in Chinese and in English.
# 7. **Further reading** — the primary sources.
#
# Run a notebook top to bottom with *Run → Run All Cells*. Nothing is downloaded: the data comes from
# the course's own deterministic generators.

# %% [markdown]
# ## Your machine
#
# The course picks the best device it finds (CUDA GPU > Apple MPS > CPU). Set the environment variable
# `COURSE_DEVICE=cpu` before starting JupyterLab to force the CPU.

# %%
import course
from course.runtime import describe, get_device

print(describe())
print("the labs will run on:", get_device().type)

# %% [markdown]
# ## The chapters
#
# Some questions appear more than once in the original set (26 = 36, 27 = 32 = 37, 28 = 33 = 38,
# 29 = 34 = 39, 30 = 35 = 40, and 21 ≈ 31). They are separate chapters here, each with a different
# angle, so re-reading a question teaches something new. Chapters not written yet are marked *planned*.

# %%
from IPython.display import Markdown

from course.chapters import available_chapters, chapter_map_markdown

Markdown(chapter_map_markdown(available_chapters("."), link_prefix=""))

# %% [markdown]
# ## Glossary (术语表)
#
# The terms the chapters use, in English and Chinese:

# %%
from course.glossary import glossary_markdown

Markdown(glossary_markdown())

# %% [markdown]
# ## How the self-tests work
#
# A code exercise gives you a function to write. The checker runs it on fresh random inputs, compares
# it with a reference and, when it is wrong, tells you *which* usual mistake it looks like. Here is a
# softmax that forgets to subtract the maximum — a classic: it overflows on large inputs.

# %%
import torch

from course.selftest import exercise


def my_softmax(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


exercise("04.softmax").check(my_softmax, seed=0, record=False)

# %% [markdown]
# Your answers are saved in a progress file in your home folder
# (`~/.llm-interview-lab/progress.json`, or wherever `COURSE_PROGRESS` points). It is written
# atomically; if it is ever damaged, it is set aside with a warning and a new one is started.
# `record=False` above keeps this demonstration out of your record.
#
# Quizzes show as clickable forms in JupyterLab; each option explains why it is right or wrong.
# Without widgets (e.g. in a terminal) answer with `quiz.answer(question_number, "letter")`:

# %%
from course.selftest import quiz

print(quiz(1).answer(1, "a", record=False))

# %% [markdown]
# ## Your progress
#
# Come back here any time to see how far you are.

# %%
from course.selftest import dashboard

fig = dashboard()

# %% [markdown]
# ## Showing the code
#
# The labs call the `course` package. When a chapter is *about* a piece of code, it writes it inline
# first; elsewhere it shows the package's source with `course.show`, so what you read is what runs:

# %%
from course.runtime import seed_everything

course.show(seed_everything)
