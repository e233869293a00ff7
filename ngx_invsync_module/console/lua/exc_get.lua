-- What the audit entry of an action on an exception names of it.
--
-- ARGV[1]  K, ARGV[2] exception id
--
-- Returns {} when there is no such exception, else {channel, event,
-- order ("<channel>:<id>" or ""), kind}.

local e = fields(redis.call('HGETALL', K .. 'exception:' .. ARGV[2]))

if e['id'] == nil then
    return {}
end

local order = ''
if e['order'] and e['order'] ~= '' then
    order = (e['channel'] or '') .. ':' .. e['order']
end

return { e['channel'] or '', e['event'] or '', order, e['kind'] or '' }
