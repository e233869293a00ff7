-- One SKU mapped on one channel, with its audit entry, in one step.
--
-- KEYS[1]  skumap:<sku>
-- KEYS[2]  audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"; every key below shares its
--          hash tag, so one cluster slot holds them all
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  the SKU
-- ARGV[5]  the channel id
-- ARGV[6]  the identifiers as skumap keeps them, a JSON object
-- ARGV[7]  the mapping the caller read on this channel, "" for none
-- ARGV[8]  the name, "" to keep it
-- ARGV[9]  who maps it, ARGV[10] why
-- ARGV[11] n, the number of skuref names of the new mapping
-- ARGV[12] and on: those n names ("item:1001", "sku:MUG-1"), then those of
--          the mapping read (ARGV[7])
--
-- The caller computes the skuref names from the channel's identifier rows
-- (invsync_channel_refs()); this script checks that the mapping is still
-- the one they were computed from, so that no other change comes between.
--
-- skuref:<channel>:<name> holds the SKU an order line or a stock level of
-- the channel is matched to; a name another SKU holds is refused.  Old
-- names of this SKU that the new mapping drops are deleted; the SKU joins
-- K skus and is marked dirty on the channel, so the worker pushes it.
--
-- Returns {'changed'} when the mapping is no longer ARGV[7] (read again),
-- {'taken', name, sku} when another SKU holds a name, {'same'} when the
-- mapping and the name are so already, else {'mapped', audit id}.

local K = ARGV[1]
local sku, channel, ids = ARGV[4], ARGV[5], ARGV[6]
local read, name = ARGV[7], ARGV[8]
local n = tonumber(ARGV[11])

if sku == '' or channel == '' or not tonumber(ARGV[2])
   or not tonumber(ARGV[3]) then
    return redis.error_reply('skumap: needs a SKU, a channel, a time '
                             .. 'and an audit bound')
end
if not n or n < 1 or n ~= math.floor(n) or 11 + n > #ARGV then
    return redis.error_reply('skumap: ARGV[11] is the number of new '
                             .. 'skuref names, 1 or more, given '
                             .. 'after it')
end
local ok, o = pcall(cjson.decode, ids)
if not ok or type(o) ~= 'table' then
    return redis.error_reply('skumap: the identifiers are not a JSON '
                             .. 'object')
end

local was = redis.call('HGET', KEYS[1], channel)
if (was or '') ~= read then
    return {'changed'}
end

local new = {}
for i = 12, 11 + n do
    local holder = redis.call('GET', K .. 'skuref:' .. channel .. ':'
                              .. ARGV[i])
    if holder and holder ~= sku then
        return {'taken', ARGV[i], holder}
    end
    new[ARGV[i]] = true
end

if was == ids and (name == '' or redis.call('HGET', K .. 'sku:' .. sku,
                                            'name') == name) then
    return {'same'}
end

for i = 12 + n, #ARGV do
    local key = K .. 'skuref:' .. channel .. ':' .. ARGV[i]
    if not new[ARGV[i]] and redis.call('GET', key) == sku then
        redis.call('DEL', key)
    end
end
for i = 12, 11 + n do
    redis.call('SET', K .. 'skuref:' .. channel .. ':' .. ARGV[i], sku)
end
redis.call('HSET', KEYS[1], channel, ids)
if name ~= '' then
    redis.call('HSET', K .. 'sku:' .. sku, 'name', name)
end
redis.call('SADD', K .. 'skus', sku)
redis.call('SADD', K .. 'dirty:' .. channel, sku)

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
    'result', 'done', 'ts', ARGV[2], 'action', 'operator.sku.map',
    'by', ARGV[9], 'why', ARGV[10], 'channel', channel, 'event', '',
    'order', '', 'sku', sku, 'ids', ids, 'previous', was or '',
    'name', name)
redis.call('ZADD', K .. 'audit:sku:' .. sku, ARGV[2], id)

return {'mapped', id}
