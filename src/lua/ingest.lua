-- Store one webhook event at most once, atomically.
--
-- KEYS[1]  idempotency key <prefix>:{<prefix>:<stream>}:seen:<channel>:...
-- KEYS[2]  stream <prefix>:<stream> (same cluster slot: see the hash tag)
-- ARGV[1]  lifetime of the idempotency key, seconds
-- ARGV[2]  and on: field, value pairs of the stream entry
--
-- Returns {0, id of the entry stored before} for a duplicate,
-- {1, id of the new entry} otherwise.

local seen = redis.call('GET', KEYS[1])
if seen then
    return {0, seen}
end

local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])

return {1, id}
