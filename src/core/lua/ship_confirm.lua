-- A shipment confirmed (its label bought and handed over, its 3PL shipped
-- it, a person confirmed it), in one step: the ledger's ship movement at
-- the shipment's location (ledger.lua itself, included below: on hand and
-- the order's reservation there go down, every channel showing the SKUs
-- is marked dirty), the shipment's state shipped with its carrier and
-- tracking, and track:due now.  Exactly once per shipment: the movement's
-- done key is done:ledger:ship:<shipment id>.
--
-- KEYS[1]  done key <p>:{<p>}:done:ledger:ship:<shipment id>
-- KEYS[2]  audit stream
-- ARGV[1]  lifetime of the done key, seconds
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the worker key prefix "<p>:{<p>}:"
-- ARGV[4]  the shipment id
-- ARGV[5]  what is recorded on it, JSON {carrier, service, tracking,
--          tracking_url, and optionally label_url, cost_minor, currency,
--          provider_ref}
-- ARGV[6]  approximate bound of the audit stream
-- ARGV[7]  and on: field, value pairs of the audit entry
--
-- Returns {1, audit id, detail} when confirmed now, {0, state} when it
-- was shipped before (shipped, tracked), {'cancelled', state} when it is
-- cancelled or voided (nothing written), or an error when there is no
-- such shipment.

--#include ledger

local K, id = ARGV[3], ARGV[4]
local key = K .. 'shipment:' .. id
local s = redis.call('HMGET', key, 'state', 'order', 'location',
                     'lines')

if not s[1] then
    return redis.error_reply('ship_confirm: no shipment ' .. id)
end
if s[1] == 'shipped' or s[1] == 'tracked' then
    return {0, s[1]}
end
if s[1] == 'cancelled' or s[1] == 'voided' then
    return {'cancelled', s[1]}
end

local c = cjson.decode(ARGV[5])
local lines = {}
for _, l in ipairs(cjson.decode(s[4])) do
    lines[#lines + 1] = {sku = l.sku, qty = l.qty, loc = s[3]}
end

local move = cjson.encode({kind = 'ship', order = s[2], at = s[3],
                           lines = lines})
local r = ledger(KEYS, {ARGV[1], ARGV[2], K, move, ARGV[6],
                        unpack(ARGV, 7)})
if type(r) == 'table' and r.err then
    return r
end

local set = {'state', 'shipped', 'shipped_at', ARGV[2],
             'last_error', ''}
for _, f in ipairs({'carrier', 'service', 'tracking', 'tracking_url',
                    'label_url', 'cost_minor', 'currency',
                    'provider_ref'}) do
    if c[f] ~= nil and c[f] ~= cjson.null then
        set[#set + 1] = f
        set[#set + 1] = tostring(c[f])
    end
end
redis.call('HSET', key, unpack(set))
redis.call('ZREM', K .. 'fulfil:due', id)
redis.call('ZADD', K .. 'track:due', ARGV[2], id)

return r
