-- Open an exception for a person to decide, once per cause.
--
-- KEYS[1]  exception hash <p>:{<p>}:exception:<id>
-- KEYS[2]  open exceptions, sorted set by creation time
-- KEYS[3]  all exceptions, sorted set by creation time
-- KEYS[4]  audit stream
-- KEYS[5]  and on: audit index sorted sets (event, order)
-- ARGV[1]  exception id
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  and on: field, value pairs of the exception (kind, cause, data)
--
-- Returns {1, id} when opened, {2, id} when an operator's retry failed
-- again and the exception is open once more, {0, id} if it is already
-- open or resolved.

local state = redis.call('HGET', KEYS[1], 'state')

if state == 'retried' then
    redis.call('HSET', KEYS[1], 'state', 'open', 'updated', ARGV[2])
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end

local audit = {'result', 'exception', 'action', 'exception.open',
               'exception', ARGV[1], 'ts', ARGV[2]}
for i = 4, #ARGV, 2 do
    if ARGV[i] ~= 'data' then
        audit[#audit + 1] = ARGV[i]
        audit[#audit + 1] = ARGV[i + 1]
    end
end

if state == 'retried' then
    audit[4] = 'exception.reopen'
elseif state then
    return {0, ARGV[1]}
else
    redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', 'open',
               'created', ARGV[2], 'updated', ARGV[2], unpack(ARGV, 4))
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
    redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
end

local id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*',
                      unpack(audit))

for i = 5, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[2], id)
end

return {state == 'retried' and 2 or 1, ARGV[1]}
