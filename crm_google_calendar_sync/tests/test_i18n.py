# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The German translation is complete and Odoo really shows it.

The reference is a fresh, in-process export of the module's terms (what
``--i18n-export`` would write now, from the current code and database), so a
new English string that nobody translated makes these tests fail, with the
list of strings to add to ``i18n/de.po``.
"""

import re
from pathlib import Path

import polib
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.translate import TranslationModuleReader, code_translations

MODULE = "crm_google_calendar_sync"
LANG = "de_DE"
I18N_DIR = Path(__file__).resolve().parents[1] / "i18n"
POT_PATH = I18N_DIR / f"{MODULE}.pot"
PO_PATH = I18N_DIR / "de.po"

# Terms that are the same word in German. Any other msgstr equal to its msgid
# counts as untranslated.
IDENTICAL_IN_GERMAN = frozenset(
    {"Google", "ID", "Name", "Odoo CRM", "Problem", "Synchronisation", "iCalUID"}
)

PLACEHOLDER_RE = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")
TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
UPDATE_HINT = (
    "Re-export the template and merge it into de.po (see the README, section "
    "'Translations'), then translate the new entries."
)


def _listing(strings):
    return "\n".join(f"  - {s!r}" for s in sorted(strings))


def _arch_texts(arch):
    """All text and attribute values of an arch, each whitespace-normalised."""
    root = etree.fromstring(arch.encode() if isinstance(arch, str) else arch)
    chunks = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        chunks.extend(node.attrib.values())
        chunks.extend(t for t in (node.text, node.tail) if t)
    return [" ".join(chunk.split()) for chunk in chunks]


def _norm(text):
    return " ".join((text or "").split())


@tagged("post_install", "-at_install")
class TestI18n(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pot = polib.pofile(str(POT_PATH))
        cls.po = polib.pofile(str(PO_PATH))
        cls.po_by_id = {entry.msgid: entry for entry in cls.po if not entry.obsolete}
        cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms([MODULE], [LANG], overwrite=True)
        # The code-string cache lives for the whole process: read de.po as it is now.
        code_translations.python_translations.pop((MODULE, LANG), None)
        cls.env_de = cls.env(context=dict(cls.env.context, lang=LANG))

    def _german(self, msgid):
        return self.po_by_id[msgid].msgstr

    def _fresh_export(self):
        """Rows (ttype, name, res_id, source, german) of an export made right now."""
        reader = TranslationModuleReader(self.env.cr, [MODULE], lang=LANG)
        return [
            (ttype, name, res_id, source, value)
            for module, ttype, name, res_id, source, value, _comments in reader
            if module == MODULE
        ]

    # ------------------------------------------------------------------
    # The files
    # ------------------------------------------------------------------
    def test_po_header_and_entries(self):
        meta = self.po.metadata
        self.assertEqual(meta.get("Language"), "de")
        self.assertIn("charset=UTF-8", meta.get("Content-Type", ""))
        self.assertEqual(meta.get("Plural-Forms"), "nplurals=2; plural=(n != 1);")
        self.assertFalse([e.msgid for e in self.po.fuzzy_entries()], "fuzzy entries in de.po")
        self.assertFalse(
            _listing(e.msgid for e in self.po.untranslated_entries()),
            "untranslated entries in de.po",
        )
        wrongly_identical = {
            e.msgid
            for e in self.po.translated_entries()
            if e.msgstr == e.msgid and e.msgid not in IDENTICAL_IN_GERMAN
        }
        self.assertFalse(wrongly_identical, "msgstr equals the English msgid")
        for msgid in IDENTICAL_IN_GERMAN & set(self.po_by_id):
            self.assertEqual(self._german(msgid), msgid)

    def test_po_keeps_placeholders_markup_and_german_quotes(self):
        for entry in self.po.translated_entries():
            with self.subTest(msgid=entry.msgid):
                self.assertEqual(
                    sorted(PLACEHOLDER_RE.findall(entry.msgid)),
                    sorted(PLACEHOLDER_RE.findall(entry.msgstr)),
                    "placeholders differ",
                )
                self.assertEqual(
                    sorted(TAG_RE.findall(entry.msgid)),
                    sorted(TAG_RE.findall(entry.msgstr)),
                    "HTML markup differs",
                )
                # German typography: „…“, never English “…” or straight quotes.
                self.assertNotRegex(entry.msgstr, r"[”\"]", "use German quotes „…“")
                self.assertEqual(entry.msgstr.count("„"), entry.msgstr.count("“"))

    def test_po_matches_pot(self):
        pot_ids = {e.msgid for e in self.pot if not e.obsolete}
        po_ids = set(self.po_by_id)
        self.assertFalse(
            _listing(pot_ids - po_ids), f"msgids of the .pot missing in de.po. {UPDATE_HINT}"
        )
        self.assertFalse(
            _listing(po_ids - pot_ids), f"de.po has msgids the .pot no longer has. {UPDATE_HINT}"
        )

    def test_pot_is_up_to_date(self):
        """The .pot on disk equals a fresh export of the current code and data."""
        fresh = {source for _t, _n, _r, source, _v in self._fresh_export()}
        pot_ids = {e.msgid for e in self.pot if not e.obsolete}
        self.assertFalse(
            _listing(fresh - pot_ids),
            f"user-visible strings missing from the .pot and de.po. {UPDATE_HINT}",
        )
        self.assertFalse(
            _listing(pot_ids - fresh), f"strings in the .pot no longer in the code. {UPDATE_HINT}"
        )

    # ------------------------------------------------------------------
    # What Odoo shows in German
    # ------------------------------------------------------------------
    def test_every_exported_term_is_german_in_odoo(self):
        """Each term of a fresh export, read back from Odoo in German, is translated.

        Covers field labels and help, selection values, model names, SQL
        constraint messages, actions, menus, view and QWeb terms (as stored in
        the database) and Python strings (as ``env._`` finds them).
        """
        untranslated = set()
        wrong = set()
        for _ttype, name, res_id, source, value in self._fresh_export():
            if source in IDENTICAL_IN_GERMAN:
                continue
            if not value or value == source:
                untranslated.add(f"{source} [{name} {res_id}]")
            elif source in self.po_by_id and _norm(value) != _norm(self._german(source)):
                wrong.add(f"{source} -> {value!r} [{name} {res_id}]")
        self.assertFalse(_listing(untranslated), f"untranslated in German. {UPDATE_HINT}")
        self.assertFalse(_listing(wrong), "Odoo shows another German text than de.po")

    def test_code_strings(self):
        translations = code_translations.get_python_translations(MODULE, LANG)
        code_ids = {
            e.msgid
            for e in self.pot
            if any(path.startswith("code:") for path, _line in e.occurrences)
        }
        self.assertTrue(code_ids)
        missing = {
            msgid
            for msgid in code_ids
            if translations.get(msgid, msgid) == msgid and msgid not in IDENTICAL_IN_GERMAN
        }
        self.assertFalse(_listing(missing), "Python strings without German translation")
        # The very call the addon makes, in a German environment.
        gettext = self.env_de._
        self.assertEqual(gettext("(No title)"), "(Kein Titel)")

    def test_field_labels_help_and_selections(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", MODULE), ("model", "=", "ir.model.fields")]
        )
        fields_by_model = {}
        for field in self.env["ir.model.fields"].browse(data.mapped("res_id")):
            fields_by_model.setdefault(field.model, set()).add(field.name)
        self.assertIn("res.users", fields_by_model)
        problems = []
        for model, names in fields_by_model.items():
            english = (
                self.env[model]
                .with_context(lang="en_US")
                .fields_get(list(names), ["string", "help", "selection"])
            )
            german = self.env_de[model].fields_get(list(names), ["string", "help", "selection"])
            for name in names:
                for attr in ("string", "help"):
                    en_text = english[name].get(attr)
                    if not en_text or en_text in IDENTICAL_IN_GERMAN:
                        continue
                    de_text = german[name].get(attr)
                    expected = self.po_by_id.get(en_text)
                    if expected is None or de_text != expected.msgstr:
                        problems.append(f"{model}.{name} {attr}: {en_text!r} -> {de_text!r}")
                for (key, en_label), (_key, de_label) in zip(
                    english[name].get("selection") or [],
                    german[name].get("selection") or [],
                    strict=True,
                ):
                    if en_label == de_label and en_label not in IDENTICAL_IN_GERMAN:
                        problems.append(f"{model}.{name} selection {key}: {en_label!r}")
        self.assertFalse(_listing(problems), "field texts not German")
        labels = dict(
            self.env_de["res.users"].fields_get(["google_sync_state"])["google_sync_state"][
                "selection"
            ]
        )
        self.assertEqual(labels["not_connected"], "Nicht verbunden")

    def test_views_render_in_german(self):
        """The addon's view terms are replaced in the German (combined) views."""
        views = self.env["ir.ui.view"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", MODULE), ("model", "=", "ir.ui.view")])
            .mapped("res_id")
        )
        self.assertTrue(views)
        arch_field = self.env["ir.ui.view"]._fields["arch_db"]
        problems = []
        for view in views:
            en_arch = view.with_context(lang="en_US").arch_db
            own_de = _arch_texts(view.with_context(lang=LANG).arch_db)
            if view.type == "qweb":
                combined = own_de
            else:
                root = view
                while root.inherit_id and root.mode != "primary":
                    root = root.inherit_id
                arch = self.env_de[root.model].get_views([(root.id, root.type)])["views"][
                    root.type
                ]["arch"]
                combined = _arch_texts(arch)
            for term in arch_field.get_trans_terms(en_arch):
                en_text = _norm(term)
                if en_text in IDENTICAL_IN_GERMAN:
                    continue
                entry = self.po_by_id.get(term) or self.po_by_id.get(en_text)
                de_text = _norm(entry.msgstr) if entry else None
                if not de_text or de_text not in " ".join(combined):
                    problems.append(f"{view.xml_id}: {en_text!r} not shown in German")
                elif en_text in own_de:
                    problems.append(f"{view.xml_id}: English {en_text!r} left in the arch")
        self.assertFalse(_listing(problems), "view strings not German")

    def test_preferences_page_wording(self):
        """The seed's wording on the user's own preferences page."""
        view = self.env.ref("base.view_users_form_simple_modif")
        arch = self.env_de["res.users"].get_views([(view.id, "form")])["views"]["form"]["arch"]
        texts = _arch_texts(arch)
        for german in (
            "Externe Dienste",
            "Nicht verbunden, bitte klicken Sie, um Google zu verbinden!",
            "Verbindung trennen",
            "Synchronisationseinstellungen",
            "noch nie",
        ):
            self.assertIn(german, " ".join(texts))
        for english in ("External services", "Disconnect", "Synchronisation settings", "never"):
            self.assertNotIn(english, texts)

    def test_user_errors_in_german(self):
        """Messages raised by the addon's code reach a German user in German."""
        user = new_test_user(self.env, login="grete_i18n", groups="base.group_user", lang=LANG)
        as_user = user.with_user(user).with_context(lang=LANG)
        with self.assertRaisesRegex(UserError, "Verbinden Sie zuerst Ihr Google-Konto"):
            as_user.action_google_sync_now()
        wizard = (
            self.env["crm.google.calendar.create.wizard"].with_user(user).with_context(lang=LANG)
        )
        with self.assertRaisesRegex(UserError, "Verbinden Sie zuerst Ihr Google-Konto"):
            wizard.create({"name": "CRM"}).action_create()
        action = as_user.action_google_sync_open_settings()
        self.assertEqual(action["name"], "Google-Kalender-Synchronisation")
