# %% [markdown]
# # Mock interview — rehearse across the chapters
#
# Each chapter answers one question. An interview asks them in any order, with no notebook open. Here
# you get questions drawn from the chapters you choose. Each is asked in Chinese and English; you
# answer aloud or in writing. Then you reveal that chapter's answer card and quiz and mark yourself.
#
# **What you missed comes back first.** Your marks are kept in your progress file (the same one as the
# exercises and quizzes), in a simple spaced-repetition schedule, the Leitner system:
# - a question you missed drops to box 0 and is asked first at your next mock interview;
# - one you knew moves up a box and rests for 2, 4, 8, 16, then 32 interviews;
# - questions you have never been asked come next, in an order fixed by `seed`.
#
# For the night before, every chapter's answer card is on one page:
# [answer_cards.html](answer_cards.html), also as [Markdown](answer_cards.md) (`make cards`, run in a
# terminal in the course folder, writes them again from the chapters).

# %% [markdown]
# ## Choose your questions
#
# `chapters` can be `"all"`, a cluster (`"families"`, `"attention"`, `"training"`, `"regularization"`,
# `"evaluation"`, `"representations"`, `"applications"`), `"missed"` (missed in an interview, or a
# quiz question answered wrong and not since right), or a list of chapter numbers such as `[4, 16, 17]`.
# Only chapters written so far are asked. Change `n`, `chapters` or `seed`, then run the cell: each run
# counts as a new interview.

# %%
from course.interview import MockInterview

interview = MockInterview(n=5, chapters="all", seed=0)
interview

# %% [markdown]
# In JupyterLab the interview above is a form: write your answer, press *Reveal the card*, compare,
# then press *I had it* or *I missed it* under the card; the chapter's quiz follows below it if you want
# to test yourself further. The next question follows. The card's link opens the chapter in a new tab,
# so the interview stays where it is.
#
# **Without widgets** (a terminal, or a notebook viewer), use the same interview as text:
#
# ```python
# print(interview.as_text())            # the questions
# print(interview.reveal(0))            # the first question's answer card (0-based)
# interview.mark(0, remembered=False)   # your verdict: scheduled for next time
# ```

# %% [markdown]
# ## How the schedule works, on a scratch record
#
# Here is the schedule at work on a throwaway progress file, so your own record is left alone. The first
# interview marks its first question missed and its second known. The second interview, asked over all
# the attention chapters, puts the missed question first; the known one is not due for two interviews,
# so it comes last.

# %%
# NBVAL_CHECK_OUTPUT
import tempfile
from pathlib import Path

from course.selftest import Progress

scratch = Progress(Path(tempfile.mkdtemp()) / "progress.json")
first = MockInterview(n=3, chapters="attention", seed=1, progress=scratch)
print("interview 1 asks chapters", first.numbers)
first.mark(0, remembered=False)
first.mark(1, remembered=True)
second = MockInterview(n=50, chapters="attention", seed=1, progress=scratch)
print("interview 2 asks chapters", second.numbers)
print(f"missed chapter {first.numbers[0]} comes first: {second.numbers[0] == first.numbers[0]}; "
      f"known chapter {first.numbers[1]} comes last: {second.numbers[-1] == first.numbers[1]}")

# %% [markdown]
# ## Your schedule
#
# Every chapter you have been asked, its box, and the interview from which it is due again (run the cell
# again after an interview to refresh it):

# %%
from IPython.display import Markdown

session, reviews = Progress().reviews()
rows = [f"| {k} | {e['box']} | {e['due']} | {e['reviews']} | {e['missed']} |" for k, e in sorted(reviews.items())]
Markdown(f"Mock interviews so far: **{session}**\n\n" + ("| chapter | box | due at interview | asked | missed |\n"
         "|---|---|---|---|---|\n" + "\n".join(rows) if rows else "*No question reviewed yet.*"))

# %% [markdown]
# ---
# [← Back to the start page](00_start_here.ipynb)
