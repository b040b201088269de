# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The scheduler moved from crm.google.token to crm.google.sync.round: the extra
cron jobs (``ir_cron_google_calendar_sync_<k>``, made by the settings and kept
on update) run there too. The main job follows its data file."""

from odoo import SUPERUSER_ID, api

CRON_XMLID = "crm_google_calendar_sync.ir_cron_google_calendar_sync"


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    model = env["ir.model"]._get("crm.google.sync.round")
    module, name = CRON_XMLID.split(".")
    extra = env["ir.model.data"].search(
        [("module", "=", module), ("model", "=", "ir.cron"), ("name", "=like", f"{name}_%")]
    )
    crons = env["ir.cron"].browse(extra.mapped("res_id")).exists()
    crons.filtered(lambda cron: cron.model_id != model).write({"model_id": model.id})
