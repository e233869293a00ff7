-- Open an exception for a person to decide, once per cause.
--
-- KEYS[1]  exception hash <p>:{<p>}:exception:<id>
-- KEYS[2]  open exceptions, sorted set by creation time
-- KEYS[3]  all exceptions, sorted set by creation time
-- KEYS[4]  audit stream
-- ARGV[1]  exception id
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  and on: field, value pairs of the exception (kind, cause, data)
--
-- Returns {0, id} if the exception exists already, else {1, id}.

if redis.call('EXISTS', KEYS[1]) == 1 then
    return {0, ARGV[1]}
end

redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', 'open',
           'created', ARGV[2], 'updated', ARGV[2], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])

local audit = {'result', 'exception', 'action', 'exception.open',
               'exception', ARGV[1]}
for i = 4, #ARGV, 2 do
    if ARGV[i] ~= 'data' then
        audit[#audit + 1] = ARGV[i]
        audit[#audit + 1] = ARGV[i + 1]
    end
end

redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', unpack(audit))

return {1, ARGV[1]}
