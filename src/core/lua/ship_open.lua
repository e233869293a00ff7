-- The shipments of an order, opened from its allocation (alloc:<order>,
-- route.lua): one per location, id "<order>@<location>", once per
-- (order, version).  A shipment of an older version not yet shipped takes
-- the new lines; one whose location the new allocation no longer uses is
-- cancelled (the fulfilment engine voids its label or cancels its 3PL
-- order when it has one: provider_ref).
--
-- KEYS[1]  audit stream
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the worker key prefix "<p>:{<p>}:"
-- ARGV[3]  the order "<channel>:<order id>"
-- ARGV[4]  the channel id (the order's prefix: an id may hold ':')
-- ARGV[5]  the kind of each configured location: "\0\0", then
--          "<id>\0<kind>\0\0" for each (searched, not decoded: the few
--          locations an order uses of many)
-- ARGV[6]  approximate bound of the audit stream
--
-- shipment:<id> fields: docs/fulfilment.md.  A shipment of kind warehouse
-- or 3pl is put in fulfil:due (now); a manual one waits for invsyncctl
-- ship.  A backordered allocation opens nothing: it waits for its stock.
--
-- Returns {opened, updated, cancelled}, counts.

local K, now, order, channel = ARGV[2], ARGV[1], ARGV[3], ARGV[4]
local function kind_of(loc)
    local at = ARGV[5]:find('\0\0' .. loc .. '\0', 1, true)
    if not at then
        return nil
    end
    local from = at + #loc + 3
    return ARGV[5]:sub(from, ARGV[5]:find('\0', from, true) - 1)
end
local a = redis.call('HMGET', K .. 'alloc:' .. order, 'version',
                     'lines', 'backorder', 'rule')

if not a[1] or not a[2] or a[3] == '1' then
    return {0, 0, 0}
end

local version, rule = a[1], a[4] or ''
local setkey = K .. 'shipments:' .. order
local byloc, locs = {}, {}
for _, l in ipairs(cjson.decode(a[2])) do
    if not byloc[l.loc] then
        byloc[l.loc] = {}
        locs[#locs + 1] = l.loc
    end
    local t = byloc[l.loc]
    t[#t + 1] = {line_id = l.line, sku = l.sku, qty = l.qty}
end
table.sort(locs)

local opened, updated, cancelled = {}, {}, {}
local live = {open = true, requested = true, stalled = true,
              failed = true}

for _, loc in ipairs(locs) do
    local id = order .. '@' .. loc
    local key = K .. 'shipment:' .. id
    local cur = redis.call('HMGET', key, 'state', 'version')
    local kind = kind_of(loc) or 'manual'
    local lines = cjson.encode(byloc[loc])
    if not cur[1] then
        redis.call('HSET', key, 'order', order, 'channel', channel,
                   'order_id', order:sub(#channel + 2), 'location', loc,
                   'kind', kind, 'state', 'open', 'lines', lines,
                   'version', version, 'rule', rule, 'attempts', '0',
                   'opened_at', now)
        redis.call('SADD', setkey, id)
        opened[#opened + 1] = id
    elseif cur[2] ~= version and live[cur[1]] then
        redis.call('HSET', key, 'lines', lines, 'version', version,
                   'rule', rule)
        updated[#updated + 1] = id
    else
        kind = nil      -- this version's, or shipped: nothing to do
    end
    if kind and kind ~= 'manual' then
        redis.call('ZADD', K .. 'fulfil:due', now, id)
    end
end

-- a location the new allocation does not use gives its shipment up (an
-- id is "<order>@<location>": those of a location it uses are not read)
local mine = #order + 2
for _, id in ipairs(redis.call('SMEMBERS', setkey)) do
    local key = K .. 'shipment:' .. id
    local s = byloc[id:sub(mine)] and {}
              or redis.call('HMGET', key, 'state', 'location')
    if s[1] and live[s[1]] and not byloc[s[2]] then
        redis.call('HSET', key, 'state', 'cancelled',
                   'cancelled_at', now,
                   'last_error', 'the order was routed elsewhere')
        redis.call('ZADD', K .. 'fulfil:due', now, id)
        cancelled[#cancelled + 1] = id
    end
end

if #opened + #updated + #cancelled > 0 then
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*',
        'result', 'applied', 'action', 'shipment.open', 'ts', now,
        'order', order, 'channel', channel, 'version', version,
        'opened', table.concat(opened, ','),
        'updated', table.concat(updated, ','),
        'cancelled', table.concat(cancelled, ','))
    redis.call('ZADD', K .. 'audit:order:' .. order, now, id)
end

return {#opened, #updated, #cancelled}
