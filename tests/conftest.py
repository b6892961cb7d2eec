import os
import tempfile

# Learner progress written by tests (and by notebooks under nbval, whose kernels inherit the
# environment) goes to a throwaway file, never to the developer's real one.
os.environ.setdefault("COURSE_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="course-progress-"),
                                                      "progress.json"))

import pytest  # noqa: E402

# The browser tests start JupyterLab and Chromium: `make test-browser` runs them, `make test` does not.
collect_ignore = [] if os.environ.get("COURSE_BROWSER_TESTS") else ["browser"]
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
