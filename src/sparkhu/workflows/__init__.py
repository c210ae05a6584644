"""Argo workflow definitions written with hera, and their rendering to the committed ``manifests/``.

The WorkflowTemplates here are the single definition of Sparkhu's pipelines: Argo runs them in a
cluster and the local executor runs the very same rendered YAML on one machine.

Modules: :mod:`~sparkhu.workflows.images` (image names), :mod:`~sparkhu.workflows.containers` (one
container template per task, from the task's own declaration), :mod:`~sparkhu.workflows.dag` (a
WorkflowTemplate from a list of nodes), :mod:`~sparkhu.workflows.daily` (the daily univariate DAG: only
its nodes), :mod:`~sparkhu.workflows.cron` (its CronWorkflow) and :mod:`~sparkhu.workflows.render` (YAML
files and the golden check).

Nothing is imported here on purpose: hera takes about half a second to import, and every
``sparkhu`` process (each task container included) imports this package's light modules.
"""
