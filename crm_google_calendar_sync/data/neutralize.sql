-- A neutralized copy (staging, test) must never talk to the users' real Google
-- accounts with production credentials.
DELETE FROM crm_google_token;
UPDATE crm_google_calendar SET sync_token = NULL;
