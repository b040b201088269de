# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo side of a sync run, not models: ``user_run`` runs one user's cycle
(lock, Google client, engine, outcome) with ``odoo_store``, the engine's store,
made of ``snapshots`` (what the planner reads), ``binder`` and ``series_binder``
(links), ``importer`` and ``series_importer`` (Google's changes applied),
``exporter`` (Odoo's changes sent) and ``unit_of_work`` (savepoints, commits)."""
