-- Resolve an exception whose cause an operator re-delivered and that
-- the worker has now handled.
--
-- KEYS[1]  exception hash <p>:{<p>}:exception:<id>
-- KEYS[2]  open exceptions, sorted set
-- KEYS[3]  audit stream
-- KEYS[4]  and on: audit index sorted sets (event, order)
-- ARGV[1]  exception id
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  who resolved it
-- ARGV[5]  why
--
-- Returns 1 when resolved, 0 when it was resolved already.  "open" counts
-- as waiting too: the operator's tool may mark the exception retried only
-- after the worker has already handled the re-delivered cause.

local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'retried' and state ~= 'open' then
    return 0
end

redis.call('HSET', KEYS[1], 'state', 'resolved', 'resolved_by', ARGV[4],
           'resolution', ARGV[5], 'updated', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])

local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*',
    'result', 'done', 'action', 'exception.resolve',
    'exception', ARGV[1], 'ts', ARGV[2], 'by', ARGV[4], 'why', ARGV[5])

for i = 4, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[2], id)
end

return 1
