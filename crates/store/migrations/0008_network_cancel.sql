-- 仲間まわし: a job can be cancelled (取消). It stays, with its history, but leaves the
-- plan: the minute of the network's clock at which it was cancelled, or NULL.

ALTER TABLE network_jobs ADD COLUMN cancelled_at BIGINT;
