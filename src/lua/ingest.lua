-- Store one webhook event at most once, atomically.
--
-- KEYS[1]  idempotency key <prefix>:{<prefix>:<stream>}:seen:<channel>:...
-- KEYS[2]  stream <prefix>:<stream> (same cluster slot: see the hash tag)
-- ARGV[1]  lifetime of the idempotency key, seconds
-- ARGV[2]  when the module received the event, Unix milliseconds
-- ARGV[3]  channel, ARGV[4] scheme, ARGV[5] account, ARGV[6] topic,
-- ARGV[7]  event id, ARGV[8] body: the values of the entry (version 1)
--
-- The field names are written here, not sent: each argument costs Redis
-- a Lua string and an object, and passing only the eight values cut its
-- instructions per event by a tenth (callgrind, docs/performance.md).
--
-- The key holds the time the event was first received.  Returns {0} for
-- a duplicate, {1, id of the new entry} otherwise.  Redis does not roll a
-- script back: if the XADD fails (a key of the wrong type, no memory),
-- the key is removed again so that the sender's retry is not taken for a
-- duplicate, and the error goes back to the module (503).

if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[1]) then
    return {0}
end

local id = redis.pcall('XADD', KEYS[2], '*', 'v', '1',
                       'channel', ARGV[3], 'scheme', ARGV[4],
                       'account', ARGV[5], 'topic', ARGV[6],
                       'event', ARGV[7], 'received', ARGV[2],
                       'body', ARGV[8])

if type(id) == 'table' and id.err then
    redis.call('DEL', KEYS[1])
    return id
end

return {1, id}
