-- Move a stream entry to the dead letters, atomically with its ack.
--
-- KEYS[1]  source stream
-- KEYS[2]  dead-letter stream <p>:{<p>}:dlq
-- KEYS[3]  the entry's attempt history <p>:{<p>}:attempts:<stream>:<id>
-- KEYS[4]  the retry schedule <p>:{<p>}:retry
-- ARGV[1]  consumer group
-- ARGV[2]  entry id
-- ARGV[3]  retry schedule member of the entry
-- ARGV[4]  and on: field, value pairs of the dead letter
--
-- Returns the dead letter's id.

local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[3])

return id
