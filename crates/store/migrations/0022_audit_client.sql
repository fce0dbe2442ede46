-- The client address of an audited change made through a web request (issue 22): the
-- address web::client::ClientAddress decided (X-Forwarded-For believed only from a
-- --trusted-proxy peer). NULL for changes made on the command line, by the platform's
-- own background work, and for entries written before this column.
ALTER TABLE audit_log ADD COLUMN client_address TEXT;
