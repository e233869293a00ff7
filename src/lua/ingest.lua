-- Store one webhook event at most once, atomically.
--
-- KEYS[1]  idempotency key <prefix>:{<prefix>:<stream>}:seen:<channel>:...
-- KEYS[2]  stream <prefix>:<stream> (same cluster slot: see the hash tag)
-- ARGV[1]  lifetime of the idempotency key, seconds
-- ARGV[2]  when the module received the event, Unix milliseconds
-- ARGV[3]  and on: field, value pairs of the stream entry
--
-- The key holds the time the event was first received.  Returns {0} for
-- a duplicate, {1, id of the new entry} otherwise.  Two calls only: this
-- runs for every webhook.

if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[1]) then
    return {0}
end

return {1, redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))}
