-- A neutralized copy (staging, test) must never write into the production Google
-- calendars: no tokens, no OAuth client, no sync positions, no links to the
-- production events, and ids of its own for the events it pushes once someone
-- connects it to Google on purpose (production's ids would answer "already there"
-- and be overwritten). The meetings stay; the copy starts as never connected.
DELETE FROM crm_google_token;
DELETE FROM crm_google_event_link;
DELETE FROM crm_google_calendar;
DELETE FROM ir_config_parameter
 WHERE key IN ('crm_google_calendar_sync.client_id', 'crm_google_calendar_sync.client_secret');
INSERT INTO ir_config_parameter (key, value)
VALUES ('crm_google_calendar_sync.event_id_namespace', gen_random_uuid()::text)
    ON CONFLICT (key) DO
       UPDATE SET value = EXCLUDED.value;
