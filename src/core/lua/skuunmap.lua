-- One SKU unmapped from one channel, with its audit entry, in one step.
--
-- KEYS[1]  skumap:<sku>
-- KEYS[2]  audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  the SKU
-- ARGV[5]  the channel id
-- ARGV[6]  the mapping the caller read on this channel
-- ARGV[7]  who unmaps it, ARGV[8] why
-- ARGV[9]  and on: the skuref names of that mapping
--
-- A skuref name another SKU took over since stays.  The SKU is no longer
-- dirty on the channel, nor remembered as shown there: it is not pushed.
--
-- Returns {'unmapped'} when the SKU is not mapped on the channel,
-- {'changed'} when its mapping is no longer ARGV[6] (read again), else
-- {'done', audit id}.

local K = ARGV[1]
local sku, channel = ARGV[4], ARGV[5]

if sku == '' or channel == '' or ARGV[6] == '' or not tonumber(ARGV[2])
   or not tonumber(ARGV[3]) or #ARGV < 8 then
    return redis.error_reply('skuunmap: needs a SKU, a channel, the '
                             .. 'mapping read, a time and an audit '
                             .. 'bound')
end

local was = redis.call('HGET', KEYS[1], channel)
if not was then
    return {'unmapped'}
end
if was ~= ARGV[6] then
    return {'changed'}
end

for i = 9, #ARGV do
    local key = K .. 'skuref:' .. channel .. ':' .. ARGV[i]
    if redis.call('GET', key) == sku then
        redis.call('DEL', key)
    end
end
redis.call('HDEL', KEYS[1], channel)
redis.call('SREM', K .. 'dirty:' .. channel, sku)
redis.call('HDEL', K .. 'shown:' .. channel, sku)

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
    'result', 'done', 'ts', ARGV[2], 'action', 'operator.sku.unmap',
    'by', ARGV[7], 'why', ARGV[8], 'channel', channel, 'event', '',
    'order', '', 'sku', sku, 'previous', was)
redis.call('ZADD', K .. 'audit:sku:' .. sku, ARGV[2], id)

return {'done', id}
