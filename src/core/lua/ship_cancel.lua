-- An order cancelled: its shipments not yet shipped are cancelled (the
-- fulfilment engine then voids a bought label or cancels the 3PL order:
-- provider_ref; the reservation was released by stock.release), and the
-- ones already shipped are named, for a cancel_after_shipment exception.
--
-- KEYS[1]  audit stream
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the worker key prefix "<p>:{<p>}:"
-- ARGV[3]  the order "<channel>:<order id>"
-- ARGV[4]  approximate bound of the audit stream
--
-- Returns {cancelled ids, shipped ids} (two arrays); audits only when it
-- cancelled one, so a second delivery of the cancellation writes nothing.

local K, now, order = ARGV[2], ARGV[1], ARGV[3]
local live = {open = true, requested = true, stalled = true,
              failed = true}
local cancelled, shipped = {}, {}

local ids = redis.call('SMEMBERS', K .. 'shipments:' .. order)
table.sort(ids)

for _, id in ipairs(ids) do
    local key = K .. 'shipment:' .. id
    local st = redis.call('HGET', key, 'state')
    if st and live[st] then
        redis.call('HSET', key, 'state', 'cancelled',
                   'cancelled_at', now,
                   'last_error', 'the order was cancelled')
        redis.call('ZADD', K .. 'fulfil:due', now, id)
        cancelled[#cancelled + 1] = id
    elseif st == 'shipped' or st == 'tracked' then
        shipped[#shipped + 1] = id
    end
end

if #cancelled > 0 then
    local aid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*',
        'result', 'applied', 'action', 'shipment.cancel', 'ts', now,
        'order', order, 'cancelled', table.concat(cancelled, ','))
    redis.call('ZADD', K .. 'audit:order:' .. order, now, aid)
end

return {cancelled, shipped}
