-- A return (RMA) opened, once: its record, its place in the index and its
-- return.open audit entry, or nothing when the id exists (the same notice
-- or command again changes nothing).
--
-- KEYS[1]  the RMA's hash <p>:{<p>}:rma:<id>
-- KEYS[2]  the index <p>:{<p>}:rmas (sorted set, score: ms opened)
-- KEYS[3]  the audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the record, JSON {id, order, channel, order_id, reason, by,
--          lines: [{sku, qty, price_minor, line_tax_minor, line_qty,
--          currency, line_id}]}: one per order line it takes back
-- ARGV[4]  the cause (e.g. ctl:<id>, or <channel>:<event>)
-- ARGV[5]  approximate bound of the audit stream
-- ARGV[6]  and on: field, value pairs of the audit entry
--
-- Returns {1, audit id} when opened now, {0, state} when it existed.

local K, now = ARGV[1], ARGV[2]

local state = redis.call('HGET', KEYS[1], 'state')
if state then
    return {0, state}
end

local r = cjson.decode(ARGV[3])
local history = {{state = 'open', at = tonumber(now), cause = ARGV[4],
                  by = r.by}}

redis.call('HSET', KEYS[1], 'id', r.id, 'order', r.order,
           'channel', r.channel, 'order_id', r.order_id,
           'reason', r.reason or '', 'by', r.by or '',
           'state', 'open', 'created', now, 'updated', now,
           'lines', cjson.encode(r.lines),
           'history', cjson.encode(history),
           'receipts', '{}', 'refund_due', '[]')
redis.call('ZADD', KEYS[2], now, r.id)

local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*',
    'result', 'applied', 'action', 'return.open', 'ts', now,
    'order', r.order, 'rma', r.id, 'cause', ARGV[4],
    'inputs', ARGV[3], unpack(ARGV, 6))
redis.call('ZADD', K .. 'audit:order:' .. r.order, now, id)

return {1, id}
