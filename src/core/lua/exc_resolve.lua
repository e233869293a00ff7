-- An exception resolved by an operator (invsyncctl exceptions resolve),
-- in one step, whatever a worker does to it meanwhile.
--
-- KEYS[1]  exception hash <p>:{<p>}:exception:<id>
-- KEYS[2]  open exceptions, sorted set
-- ARGV[1]  exception id
-- ARGV[2]  now, Unix ms
-- ARGV[3]  who resolved it
-- ARGV[4]  why
--
-- Unlike resolve.lua (the worker's own, once a re-delivered cause was
-- handled), this resolves an exception in any state but resolved, and the
-- caller writes the operator's audit entry.  Returns {'gone'} when there
-- is no such exception, {'resolved', by, resolution} when it was resolved
-- already (by whom, why), else {'done', the state it was in}.

if ARGV[1] == '' or not tonumber(ARGV[2]) or #ARGV ~= 4 then
    return redis.error_reply('exc_resolve: needs an id, a time, who '
                             .. 'and why')
end

if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'gone'}
end

local state = redis.call('HGET', KEYS[1], 'state') or ''

if state == 'resolved' then
    local by = redis.call('HGET', KEYS[1], 'resolved_by') or ''
    local why = redis.call('HGET', KEYS[1], 'resolution') or ''
    return {'resolved', by, why}
end

redis.call('HSET', KEYS[1], 'state', 'resolved', 'resolved_by', ARGV[3],
           'resolution', ARGV[4], 'resolved', ARGV[2],
           'updated', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])

return {'done', state}
