-- A shipment confirmed (its label bought and handed over, its 3PL shipped
-- it, a person confirmed it), in one step: the ledger's ship movement at
-- the shipment's location (ledger.lua itself, included below: on hand and
-- the order's reservation there go down, every channel showing the SKUs
-- is marked dirty), the shipment's state shipped with its carrier and
-- tracking, and track:due now.  Exactly once per shipment: the movement's
-- done key is done:ledger:ship:<shipment id>.
--
-- Shipped by its channel (ARGV[5] shipped_by "channel": a merchant
-- fulfilled the order in the channel's admin): the same movement, the
-- state tracked at once (the channel has it; nothing is told), and the
-- fulfilment engine is left only what undoes the provider's part: a
-- carrier shipment with a provider_ref gets label_void due (a label
-- bought for it is voided), a 3PL order with one is cancelled; both due
-- in fulfil:due now.
--
-- A shipment the buyer took at the location (kind pickup, counter) or
-- with nothing in a parcel (digital) has no tracking: it stays shipped and
-- nothing is told to the channel.
--
-- Either way the exceptions its not shipping opened are resolved, their
-- cause gone: label_failed:<id> and fulfilment_stalled:<channel>:<id>
-- (as resolve.lua does, audited exception.resolve).
--
-- KEYS[1]  done key <p>:{<p>}:done:ledger:ship:<shipment id>
-- KEYS[2]  audit stream
-- ARGV[1]  lifetime of the done key, seconds
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the worker key prefix "<p>:{<p>}:"
-- ARGV[4]  the shipment id
-- ARGV[5]  what is recorded on it, JSON {carrier, service, tracking,
--          tracking_url, and optionally label_url, cost_minor, currency,
--          provider_ref, shipped_by, tracked_ref}
-- ARGV[6]  approximate bound of the audit stream
-- ARGV[7]  and on: field, value pairs of the audit entry
--
-- A person's pickup confirmation (carrier "pickup", invsyncctl ship
-- --carrier pickup) is only for a shipment the buyer takes at the
-- location (kind pickup, counter, digital): on a parcel's (warehouse,
-- 3pl, manual) it would queue tracking with no tracking number, so it is
-- refused ("not a pickup shipment") and nothing is written.
--
-- Returns {1, audit id, detail} when confirmed now, {0, state} when it
-- was shipped before (shipped, tracked), {'cancelled', state} when it is
-- cancelled or voided (nothing written), or an error when there is no
-- such shipment or a pickup confirmation is for a parcel.

--#include ledger

local K, id = ARGV[3], ARGV[4]
local key = K .. 'shipment:' .. id
local s = redis.call('HMGET', key, 'state', 'order', 'location',
                     'lines', 'channel', 'kind', 'provider_ref')

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
local untracked = {pickup = true, counter = true, digital = true}
if c.carrier == 'pickup' and c.shipped_by ~= 'channel'
   and not untracked[s[6] or ''] then
    return redis.error_reply('ship_confirm: not a pickup shipment: '
        .. id .. ' is of kind ' .. (s[6] or '?') .. ', a pickup '
        .. 'confirmation is only for a pickup shipment (give its '
        .. 'carrier and --tracking)')
end
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

local bych = c.shipped_by == 'channel'
local set = {'state', bych and 'tracked' or 'shipped',
             'shipped_at', ARGV[2], 'last_error', ''}
for _, f in ipairs({'carrier', 'service', 'tracking', 'tracking_url',
                    'label_url', 'cost_minor', 'currency',
                    'provider_ref', 'shipped_by', 'tracked_ref'}) do
    if c[f] ~= nil and c[f] ~= cjson.null then
        set[#set + 1] = f
        set[#set + 1] = tostring(c[f])
    end
end

local undo = bych and s[7] and s[7] ~= ''
             and (s[6] == 'warehouse' or s[6] == '3pl')
if undo and s[6] == 'warehouse' then
    set[#set + 1] = 'label_void'
    set[#set + 1] = 'due'
end
redis.call('HSET', key, unpack(set))

if undo then
    redis.call('ZADD', K .. 'fulfil:due', ARGV[2], id)
else
    redis.call('ZREM', K .. 'fulfil:due', id)
end
if not bych and not untracked[s[6] or ''] then
    redis.call('ZADD', K .. 'track:due', ARGV[2], id)
end

-- the exceptions of its not shipping: their cause is gone
local function resolve(xid, event, why)
    local xkey = K .. 'exception:' .. xid
    local st = redis.call('HGET', xkey, 'state')
    if st ~= 'open' and st ~= 'retried' then
        return
    end
    redis.call('HSET', xkey, 'state', 'resolved', 'resolved_by',
               'invsync-worker', 'resolution', why, 'updated', ARGV[2])
    redis.call('ZREM', K .. 'exceptions:open', xid)
    local aid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6],
        '*', 'result', 'done', 'action', 'exception.resolve',
        'exception', xid, 'ts', ARGV[2], 'by', 'invsync-worker',
        'why', why)
    redis.call('ZADD', K .. 'audit:event:' .. (s[5] or '') .. ':'
               .. event, ARGV[2], aid)
    redis.call('ZADD', K .. 'audit:order:' .. s[2], ARGV[2], aid)
end

local why = bych and 'shipped by its channel' or 'shipped'
resolve('label_failed:' .. id, 'fulfil:' .. id, why)
resolve('fulfilment_stalled:' .. (s[5] or '') .. ':' .. id, id, why)

return r
