"""Bad-input rows for course.train.overfitting (collected by tests/test_bad_input.py)."""
import course.train.overfitting
from course.train.overfitting import OverfitSetting, overfit_setting

PUBLIC_MODULES = [course.train.overfitting]

BAD_CALLS = [
    (overfit_setting, "n_lines must be", lambda: overfit_setting(2)),
    (overfit_setting, "seed must be", lambda: overfit_setting(60, seed=-1)),
]

NOTHING_TO_VALIDATE = {
    OverfitSetting: "built by overfit_setting, which validates its arguments; model() overrides go through "
                    "GPTConfig's own checks",
}
