-- Why a client is disabled, as the operator said when disabling it (client.disabled.v1's reason:
-- compromised, maintenance, retired or other; null when it is enabled or no reason was given). A
-- client disabled as compromised is enabled only with new credentials. The clients projection fills
-- it from the client events; clients disabled before this migration have none.
ALTER TABLE clients ADD COLUMN disabled_reason text;
