-- Apply one effect of one cause exactly once, with its audit entry.
--
-- KEYS[1]  done key <p>:{<p>}:done:<action>:<channel>:<event>
-- KEYS[2]  audit stream <p>:{<p>}:audit
-- KEYS[3]  state hash the effect writes (an order, a refund...)
-- KEYS[4]  and on: index sorted sets that list the audit entry
-- ARGV[1]  lifetime of the done key, seconds
-- ARGV[2]  now, Unix ms
-- ARGV[3]  version of the state (Unix ms), or '' when it has none
-- ARGV[4]  the state to store, JSON, or '' when the effect has none
-- ARGV[5]  approximate bound of the audit stream
-- ARGV[6]  and on: field, value pairs of the audit entry
--
-- Returns {0, audit id} when the cause was applied before, else
-- {1, audit id, result} with result applied, unchanged or stale: a state
-- never moves back to an older version.

local done = redis.call('GET', KEYS[1])
if done then
    return {0, done}
end

local result = 'applied'

if ARGV[3] ~= '' then
    local cur = tonumber(redis.call('HGET', KEYS[3], 'version'))
    local new = tonumber(ARGV[3])
    if cur and cur > new then
        result = 'stale'
    elseif cur and cur == new then
        result = 'unchanged'
    end
end

if result == 'applied' and ARGV[4] ~= '' then
    redis.call('HSET', KEYS[3], 'version', ARGV[3], 'data', ARGV[4],
               'updated', ARGV[2])
end

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
                      'result', result, unpack(ARGV, 6))

for i = 4, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[2], id)
end

redis.call('SET', KEYS[1], id, 'EX', ARGV[1])

return {1, id, result}
