-- Record what a channel acknowledged of one stock push, with its audit
-- entry: the quantities it now shows, and recent pushed values per SKU so
-- that the channel's own inventory webhooks echoing them are recognised.
--
-- KEYS[1]  audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:" (every key shares its tag)
-- ARGV[2]  now, Unix ms
-- ARGV[3]  approximate bound of the audit stream
-- ARGV[4]  channel id
-- ARGV[5]  JSON {sku: quantity} the channel acknowledged
-- ARGV[6]  and on: field, value pairs of the audit entry
--
-- Returns the audit entry's id.

local K, ch = ARGV[1], ARGV[4]
local acked = cjson.decode(ARGV[5])
local skus = {}

for sku, q in pairs(acked) do
    skus[#skus + 1] = sku
    redis.call('HSET', K .. 'shown:' .. ch, sku, q)
    local recent = K .. 'pushed:' .. ch .. ':' .. sku
    redis.call('LPUSH', recent, q)
    redis.call('LTRIM', recent, 0, 15)
    redis.call('EXPIRE', recent, 3600)
end
table.sort(skus)

local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*',
    'result', 'applied', 'action', 'stock.push', 'channel', ch,
    'skus', table.concat(skus, ','), 'detail', ARGV[5], unpack(ARGV, 6))

for _, sku in ipairs(skus) do
    redis.call('ZADD', K .. 'audit:sku:' .. sku, ARGV[2], id)
end

return id
