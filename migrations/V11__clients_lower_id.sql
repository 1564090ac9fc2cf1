-- Client ids are unique regardless of case. New registrations claim the lower-case id on a
-- client_id:<lower-case id> stream (as usernames do on username:<...>); clients registered before
-- that have no claim, so a registration also looks for them here, case-insensitively. Not a unique
-- index: two such clients that differ only in case may already exist, and both stay.
CREATE INDEX clients_client_id_lower ON clients (lower(client_id));
