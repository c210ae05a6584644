"""Every task module, imported so that each registers its TaskSpec (one mechanism, many registrations)."""

from sparkhu.tasks import (  # noqa: F401
    deduplicate,
    describe,
    detect_missing,
    plan,
    regularity,
    regularity_decision,
    validate,
)
