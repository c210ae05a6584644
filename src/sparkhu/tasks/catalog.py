"""Every task module, imported so that each registers its TaskSpec (one mechanism, many registrations)."""

from sparkhu.tasks import (  # noqa: F401
    anomalies,
    decompose,
    deduplicate,
    describe,
    detect_missing,
    handle_anomalies,
    handle_missing,
    normalize,
    outliers,
    plan,
    pool_anomalies,
    pool_missing,
    regularity,
    regularity_decision,
    validate,
    window,
)
