-- Intake writes as few B-tree entries as it can (BENCHMARKS.md, DIP intake):
-- a message is its row plus the (sender, sur) key, and a delivery is its row
-- plus the pending-index entry. What a delivery row repeated from its
-- message (channel, MPAN, role, route) is read from the message instead;
-- per-MPAN order is kept by the claim, which walks the pending index in seq
-- order. Purge finds old messages by seq (accepted_at grows with seq) and
-- the body segments still in use from the oldest message left.
DROP INDEX deliveries_order;
DROP INDEX deliveries_seq;
DROP INDEX messages_accepted;
DROP INDEX messages_segment;
ALTER TABLE deliveries DROP COLUMN role;
ALTER TABLE deliveries DROP COLUMN route;
ALTER TABLE deliveries DROP COLUMN channel;
ALTER TABLE deliveries DROP COLUMN mpan;
