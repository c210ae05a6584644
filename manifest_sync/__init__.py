"""Sparkhu manifest-sync: a GitOps controller that keeps Argo templates in a cluster equal to a git folder.

The pipeline of one sync is ``source`` (git fetch) -> ``render`` (YAML files or a kustomization) ->
``validate`` (kinds, namespaces, names, Argo schema) -> ``planner`` (create/update/drift/prune against the
live objects) -> ``applier`` (merge-patch writes, never delete-then-create). ``controller`` runs it on a
timer or a webhook, under a Lease (``leader``), and ``server`` exposes health, status and metrics.
"""

__version__ = "0.1.0"
