/** @odoo-module **/
// A user connects Google from their preferences and chooses what to synchronise.
// The test (tests/test_tour.py) puts the Google emulator in auto-approve mode, so
// the click on "connect" goes to the emulator's consent URL, comes straight back
// to Odoo's callback and lands on the sync settings: the tour resumes there.

import {registry} from "@web/core/registry";

const GOOGLE_EMAIL = "tour.user@example.com";
const DIALOG = ".o_dialog";

function openExternalServices() {
  return [
    {
      content: "Open the user menu",
      trigger: ".o_user_menu .dropdown-toggle",
      run: "click",
    },
    {
      content: "Open the preferences",
      trigger: ".dropdown-item[data-menu=settings]",
      run: "click",
    },
    {
      content: "Go to the External services page",
      trigger: `${DIALOG} .o_notebook a.nav-link[name=crm_google_sync_external_services]`,
      run: "click",
    },
  ];
}

registry.category("web_tour.tours").add("crm_google_calendar_sync_preferences", {
  url: "/odoo",
  steps: () => [
    ...openExternalServices(),
    {
      content: "Google is not connected yet: no settings are shown",
      trigger: `${DIALOG} .o_crm_google_sync:not(:has(div[name=google_sync_source_calendar_ids]))`,
    },
    {
      content: "Start the Google consent",
      trigger: `${DIALOG} button.o_crm_google_sync_connect:contains(click here to connect Google)`,
      run: "click",
    },
    // The browser leaves Odoo for the emulator's consent URL and comes back
    // through /crm_google_calendar_sync/oauth2callback.
    {
      content: "Back in Odoo on the sync settings, connected as the Google account",
      trigger: `.o_action_manager .o_form_view .o_field_widget[name=google_sync_email]:contains(${GOOGLE_EMAIL})`,
      timeout: 15000,
    },
    {
      content: "The landing page shows the connected state",
      trigger:
        ".o_action_manager .o_form_view .o_field_widget[name=google_sync_state]:contains(Connected)",
    },
    ...openExternalServices(),
    {
      content: "The preferences show the connected Google account",
      trigger: `${DIALOG} .o_field_widget[name=google_sync_email]:contains(${GOOGLE_EMAIL})`,
    },
    {
      content: "The primary calendar is preselected as a source",
      trigger: `${DIALOG} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(${GOOGLE_EMAIL})) input:checked`,
    },
    {
      content: "Also synchronise the shared team calendar into Odoo",
      trigger: `${DIALOG} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(Shared Team Calendar)) input:not(:checked)`,
      run: "click",
    },
    {
      content: "Type the name of the CRM calendar as the target",
      trigger: `${DIALOG} div[name=google_sync_target_calendar_id] input`,
      run: "edit CRM Appo",
    },
    {
      content: "Pick the CRM calendar",
      trigger:
        ".o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item:contains(CRM Appointments)",
      run: "click",
    },
    {
      content: "The target is set",
      trigger: `${DIALOG} div[name=google_sync_target_calendar_id] input:value(CRM Appointments)`,
    },
    {
      content: "Also synchronise private appointments",
      trigger: `${DIALOG} div[name=google_sync_private] input[type=checkbox]:not(:checked)`,
      run: "click",
    },
    {
      content: "Save the preferences",
      trigger: `${DIALOG} button[name=preference_save]`,
      run: "click",
    },
    {
      content: "The dialog closes once saved",
      trigger: "body:not(:has(.o_dialog))",
    },
  ],
});
