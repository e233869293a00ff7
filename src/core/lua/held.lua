-- Take a held stock notice out of its channel's hash, if it is still the
-- one the poller read: a newer notice of the same SKU may have replaced
-- it, or another worker's round taken it, meanwhile (docs/worker.md,
-- "Stock rules and changes made in a channel").
--
-- KEYS[1]  <p>:{<p>}:held:<channel>
-- ARGV[1]  the field (the SKU)
-- ARGV[2]  its value as read
--
-- Returns 1 when taken (the caller hands it back to the consumer), else 0.

if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 1
end

return 0
