# %% [markdown]
# # LLM Interview Lab — start here
#
# A widely shared set of 50 Chinese interview questions on large language models (大语言模型面试题)
# comes with a short answer to each question. This course calls that answer **the common answer**:
# it is what many candidates memorise, and it is often vague and sometimes wrong. Each chapter takes
# one question, says what the common answer gets right and wrong, **answers the question correctly**,
# and then makes you **build, train and look at** the thing being asked about, on your laptop's CPU in
# a few minutes at most.
#
# Every chapter has the same parts:
#
# 1. **Header** — the question (题目) in Chinese and English, time, prerequisites, objectives.
# 2. **Try first** — write your own interview answer, in the cell under the prompt, before reading on.
# 3. **What the common answer gets wrong** — its claims one by one: correct, incomplete or wrong.
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
# **Running two notebooks at once?** PyTorch gives each kernel a thread per CPU core. Two kernels that
# compute at the same time then share every core between twice as many threads, and the threads of one
# matrix multiply keep waiting at their meeting points for a thread the system has paused: each kernel
# can become many times slower, not just twice. Give each kernel fewer threads — start JupyterLab with
# `COURSE_THREADS=1 make lab`, or run `course.runtime.set_threads(1)` at the top of a notebook — or
# run one notebook at a time.

# %% [markdown]
# ## The chapters
#
# Some questions appear more than once in the original set (26 = 36, 27 = 32 = 37, 28 = 33 = 38,
# 29 = 34 = 39, 30 = 35 = 40, and 21 ≈ 31). They are separate chapters here, each with a different
# angle, so re-reading a question teaches something new.

# %%
# NBVAL_CHECK_OUTPUT
from course.chapters import CHAPTERS, available_chapters

written = available_chapters(".")
print(f"All {len(CHAPTERS)} chapters are written." if len(written) == len(CHAPTERS)
      else f"{len(written)} of the {len(CHAPTERS)} chapters are written so far.")

# %% [markdown]
# The map, by cluster: *study* is the time a chapter's header announces for reading and doing it,
# *run* the time its code takes top to bottom on the machine that last ran `make bench`, and *your
# progress* what you have passed so far (run this cell again to refresh it). Chapters not written yet
# are listed without a link.

# %%
from IPython.display import Markdown

from course.navigation import course_map_markdown
from course.selftest import Progress

Markdown(course_map_markdown(Progress()))

# %% [markdown]
# **Before an interview:** the [mock interview](99_mock_interview.ipynb) asks you questions across
# the chapters and brings back the ones you missed, and `make cards` writes every answer card on one
# page ([answer_cards.html](answer_cards.html), also as [Markdown](answer_cards.md)) to revise from.

# %% [markdown]
# ## Glossary (术语表)
#
# The terms the chapters use, in English and Chinese:

# %%
# NBVAL_CHECK_OUTPUT
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
# A quiz shows as a form in JupyterLab: pick an option and press *Check*; every option explains why
# it is right or wrong. In a notebook you have just opened, the forms are the saved picture of the last
# run (a small broken-link icon says so): run the cell, or the whole notebook, to bring them to life.
# Here is a question about the course itself (the chapters' questions are left for the chapters):

# %%
from course.selftest import Option, Question, Quiz

demo = Quiz([Question(
    key="00.demo",
    prompt="A lab prints a model's parameter count. Where does that number come from?",
    options=(
        Option("From the code, run when you run the notebook; the tests rerun it too", True,
               "Every number a lab prints is computed by its code; the tests execute every notebook "
               "and compare the outputs that must not change, so the text cannot drift from the code."),
        Option("From the paper the chapter cites, copied in so that it matches", False,
               "Papers are cited for their facts, but a lab prints only what its own code computes "
               "on your machine; where a paper gives a figure, the lab recomputes it."),
        Option("From the authors, who ran the code once and typed the result into the text", False,
               "A typed-in number would go stale as soon as the code changed; the stored outputs are "
               "checked against a fresh run, so a stale one fails the tests."),
    ),
)])
demo

# %% [markdown]
# Without widgets (in a terminal, say) answer with `quiz.answer(question_number, "letter")`, using the
# letters the quiz shows:

# %%
print(demo.answer(1, "a", record=False))

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

# %% [markdown]
# ---
#
# ### [Start with chapter 1 →](01_llm_basics.ipynb)
