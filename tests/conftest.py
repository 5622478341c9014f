"""Test configuration: a deterministic hypothesis profile, so CI never flakes."""
import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=30)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The suite checks kernels against eager results: compile before the first call, so every
# jitted call runs its kernel (tests of the tiers turn background compiles on themselves).
os.environ.setdefault("FUNCTRANS_BACKGROUND_COMPILE", "0")
