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

// ---------------------------------------------------------------------------
// The first minutes of a sales rep, walked as a person does, in German and in
// English (tests/test_onboarding_tour.py prepares "Google" and runs the cron
// between the tours, as Odoo's cron worker would).

const PAGE = ".o_action_manager .o_form_view";

const TEXTS = {
  de: {
    connect: "Nicht verbunden, bitte klicken Sie, um Google zu verbinden!",
    on: "Eingeschaltet: alle 5 Minuten",
    never: "noch nie",
    soon: "Innerhalb der nächsten Minute",
    save: "Speichern",
    saved: "Ihre Einstellungen sind gespeichert",
    fromGoogle: "von Google übernommen",
    problem: "verbinden Sie Google erneut",
    reconnect: "Google erneut verbinden",
    connected: "Verbunden",
    log: "Synchronisationsprotokoll",
  },
  en: {
    connect: "Not connected, click here to connect Google!",
    on: "On: every 5 minutes",
    never: "never",
    soon: "Within the next minute",
    save: "Save",
    saved: "Your settings are saved",
    fromGoogle: "from Google",
    problem: "connect Google again",
    reconnect: "Connect Google again",
    connected: "Connected",
    log: "Sync log",
  },
};

function connectAndLand(t, email) {
  return [
    ...openExternalServices(),
    {
      content: "Not connected: one clear button, no second “not connected” badge",
      trigger: `${DIALOG} .o_crm_google_sync:not(:has(.o_crm_google_sync_state)) button.btn-primary.o_crm_google_sync_connect:contains(${t.connect})`,
      run: "click",
    },
    // The browser leaves Odoo for the emulator's consent URL and comes back
    // through /crm_google_calendar_sync/oauth2callback.
    {
      content: "Back in Odoo on the sync page, connected as the Google account",
      trigger: `${PAGE} .o_field_widget[name=google_sync_email]:contains(${email})`,
      timeout: 20000,
    },
  ];
}

function firstSyncSteps(t, email) {
  return [
    ...connectAndLand(t, email),
    {
      content: "The primary calendar is preselected, and the page can be edited",
      trigger: `${PAGE} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(${email})) input:checked:not(:disabled)`,
    },
    {
      content: "The target calendar is an editable field",
      trigger: `${PAGE} div[name=google_sync_target_calendar_id] input:value(${email})`,
    },
    {
      content: "The page says in plain words that the sync is on",
      trigger: `${PAGE} .o_field_widget[name=google_sync_schedule]:contains(${t.on})`,
    },
    {
      content: "It has never run yet …",
      trigger: `${PAGE} .o_crm_google_sync_never:contains(${t.never})`,
    },
    {
      content: "… and runs within the next minute",
      trigger: `${PAGE} .o_field_widget[name=google_sync_next_sync]:contains(${t.soon})`,
    },
  ];
}

function keepDefaultsAndSaveSteps(t, email) {
  return [
    {
      content: "Back on the sync page later: the defaults are still chosen",
      trigger: `${PAGE} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(${email})) input:checked`,
    },
    {
      content: "Keep the defaults and save",
      trigger: `${PAGE} button.o_crm_google_sync_save:contains(${t.save})`,
      run: "click",
    },
    {
      content: "Saving is confirmed",
      trigger: `.o_notification:contains(${t.saved})`,
    },
  ];
}

function afterCronSteps(t) {
  return [
    {
      content: "The cron synchronised: a last synchronisation is shown",
      trigger: `${PAGE} .o_crm_google_sync_last_sync:not(:has(.o_crm_google_sync_never)) .o_field_widget[name=google_sync_last_sync]`,
    },
    {
      content: "… with what it brought from Google",
      trigger: `${PAGE} .o_field_widget[name=google_sync_last_result]:contains(${t.fromGoogle})`,
    },
    {
      content: "… and the page is still on",
      trigger: `${PAGE} .o_field_widget[name=google_sync_schedule]:contains(${t.on})`,
    },
    {
      content: "Open the sync log of one's own runs",
      trigger: `${PAGE} button.o_crm_google_sync_open_log:contains(${t.log})`,
      run: "click",
    },
    {
      content: "It lists the run that brought the meeting from Google",
      trigger: `.o_list_view .o_data_row:contains(${t.fromGoogle})`,
    },
  ];
}

function privateOnSteps(t) {
  return [
    ...openExternalServices(),
    {
      content: "Turn on private appointments",
      trigger: `${DIALOG} div[name=google_sync_private] input[type=checkbox]:not(:checked)`,
      run: "click",
    },
    {
      content: "Save the preferences",
      trigger: `${DIALOG} button[name=preference_save]`,
      run: "click",
    },
    {
      content: "Saving is confirmed and the dialog closes",
      trigger: `body:not(:has(.o_dialog)) .o_notification:contains(${t.saved})`,
    },
  ];
}

function reconnectSteps(t, email) {
  return [
    ...openExternalServices(),
    {
      content: "The error says what happened …",
      trigger: `${DIALOG} .o_crm_google_sync_problem:contains(${t.problem})`,
    },
    {
      content: "Paused until reconnected: no button that cannot work",
      trigger: `${DIALOG} div[name=crm_google_sync_buttons]:not(:has(button.o_crm_google_sync_now)):not(:has(button.o_crm_google_sync_reload_list))`,
    },
    {
      content: "… and offers the one action that fixes it",
      trigger: `${DIALOG} .o_crm_google_sync_problem button.o_crm_google_sync_reconnect:contains(${t.reconnect})`,
      run: "click",
    },
    {
      content: "Back on the sync page, connected again",
      trigger: `${PAGE} .o_field_widget[name=google_sync_state]:contains(${t.connected})`,
      timeout: 20000,
    },
    {
      content: "No error any more",
      trigger: `${PAGE}:not(:has(.o_crm_google_sync_problem))`,
    },
    {
      content: "The team calendar chosen before is still chosen",
      trigger: `${PAGE} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(Team)) input:checked`,
    },
    {
      content: "The primary calendar too",
      trigger: `${PAGE} div[name=google_sync_source_calendar_ids] .form-check:has(label:contains(${email})) input:checked`,
    },
    {
      content: "The sync is on again",
      trigger: `${PAGE} .o_field_widget[name=google_sync_schedule]:contains(${t.on})`,
    },
  ];
}

const tours = registry.category("web_tour.tours");
for (const [lang, t] of Object.entries(TEXTS)) {
  tours.add(`crm_google_calendar_sync_first_sync_${lang}`, {
    url: "/odoo",
    steps: () => firstSyncSteps(t, `first-${lang}@example.com`),
  });
  tours.add(`crm_google_calendar_sync_save_${lang}`, {
    url: "/odoo/google-calendar-sync",
    steps: () => keepDefaultsAndSaveSteps(t, `first-${lang}@example.com`),
  });
  tours.add(`crm_google_calendar_sync_after_cron_${lang}`, {
    url: "/odoo/google-calendar-sync",
    steps: () => afterCronSteps(t),
  });
  tours.add(`crm_google_calendar_sync_private_on_${lang}`, {
    url: "/odoo",
    steps: () => privateOnSteps(t),
  });
  tours.add(`crm_google_calendar_sync_reconnect_${lang}`, {
    url: "/odoo",
    steps: () => reconnectSteps(t, `reconnect-${lang}@example.com`),
  });
}

tours.add("crm_google_calendar_sync_meeting_arrived", {
  url: "/odoo/calendar?view_type=list",
  steps: () => [
    {
      content: "The private appointment from Google is in the Odoo calendar",
      trigger: ".o_list_view .o_data_row:contains(Arzttermin aus Google)",
    },
  ],
});

tours.add("crm_google_calendar_sync_admin_reads_status", {
  steps: () => [
    {
      content: "Open the External services page of the user",
      trigger:
        ".o_form_view .o_notebook a.nav-link[name=crm_google_sync_external_services]",
      run: "click",
    },
    {
      content: "The last changes read in the administrator's language",
      trigger:
        ".o_form_view .o_field_widget[name=google_sync_last_result]:contains(change(s) from Google)",
    },
    {
      content: "The user's calendars are named about him, not as the reader's",
      trigger:
        ".o_form_view div[name=google_sync_source_calendar_ids]:contains(main calendar):not(:contains(your))",
    },
    {
      content: "So does the schedule",
      trigger:
        ".o_form_view .o_field_widget[name=google_sync_schedule]:contains(Paused until Google is connected again)",
    },
    {
      content: "And the problem",
      trigger:
        ".o_form_view .o_field_widget[name=google_sync_error]:contains(Please connect Google again)",
    },
  ],
});

tours.add("crm_google_calendar_sync_admin_reads_log", {
  steps: () => [
    {
      content:
        "The log line of the German user's run reads in the administrator's language",
      trigger:
        ".o_form_view .o_field_widget[name=summary]:contains(change(s) from Google)",
    },
    {
      content: "It names the meetings the run changed",
      trigger:
        ".o_form_view .o_field_widget[name=change_lines]:contains(Created in Odoo: Angebot für Ben)",
    },
  ],
});
