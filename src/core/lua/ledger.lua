-- One stock movement, applied once with its audit entry.
--
-- KEYS[1]  done key of the movement's cause <p>:{<p>}:done:ledger:<cause>
-- KEYS[2]  audit stream
-- ARGV[1]  lifetime of the done key, seconds
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the worker key prefix "<p>:{<p>}:"; every key below shares its
--          hash tag, so one cluster slot holds them all
-- ARGV[4]  the movement, JSON: {"kind": reserve|release|ship|restock|
--          adjust|count, "order": "<channel>:<id>" or "", "lines":
--          [{"sku": s, "qty": n, "loc": l}], and for a shipment's ship
--          "at": its location, the only place it takes from}; a restock's
--          line may say "bucket": "damaged" (units back but not sellable)
-- ARGV[5]  approximate bound of the audit stream
-- ARGV[6]  and on: field, value pairs of the audit entry
--
-- Stock per SKU: hash stock:<sku> with on_hand:<loc>, reserved:<loc> and
-- unrouted (reserved, no location chosen yet), and damaged:<loc> (returned
-- units not sellable: never available, never shown to a channel).  A bundle (sku:<sku> has
-- "components", JSON {sku: qty}) has no stock of its own: its lines move
-- its components.  Every SKU touched, and every bundle made of it, is
-- marked dirty for each channel that shows it.  A routed order (alloc:
-- <order>, route.lua) holds part of its reservation in reserved:<loc>: its
-- shipment takes from there, its release gives it back.
--
-- Returns {0, audit id} when the cause was applied before, else
-- {1, audit id, JSON {"moved": {sku: delta}, "oversold": [{sku, short}]}}.

local done = redis.call('GET', KEYS[1])
if done then
    return {0, done}
end

local K = ARGV[3]
local m = cjson.decode(ARGV[4])
local moved, order = {}, {}
local oversold = {}

local function components(sku)
    local c = redis.call('HGET', K .. 'sku:' .. sku, 'components')
    if c and c ~= '' then
        return cjson.decode(c)
    end
    return nil
end

local function available(sku)
    local h = redis.call('HGETALL', K .. 'stock:' .. sku)
    local a = 0
    for i = 1, #h, 2 do
        local f, v = h[i], tonumber(h[i + 1]) or 0
        if f:sub(1, 8) == 'on_hand:' then
            a = a + v
        elseif f:sub(1, 9) == 'reserved:' or f == 'unrouted' then
            a = a - v
        end
    end
    return a
end

-- calls fn(sku, qty) for the line, or for each component of a bundle
local function expand(line, fn)
    local c = components(line.sku)
    if c then
        for s, q in pairs(c) do
            fn(s, q * line.qty)
        end
    else
        fn(line.sku, line.qty)
    end
end

local function move(sku, field, delta)
    -- a shipped share is held as 0, and HINCRBY refuses "-0"
    if delta == 0 then
        return
    end
    redis.call('HINCRBY', K .. 'stock:' .. sku, field, delta)
    -- on hand changes count; a reservation alone still marks the SKU
    if field == 'unrouted' or field:sub(1, 9) == 'reserved:'
       or field:sub(1, 8) == 'damaged:' then
        delta = 0
    end
    moved[sku] = (moved[sku] or 0) + delta
end

local kind = m.kind
local res = K .. 'reservation:' .. (m.order or '')
local alloc = K .. 'alloc:' .. (m.order or '')

-- what route.lua placed of the order, {loc: {sku: qty}}, or nil
local function routed()
    local h = redis.call('HGET', alloc, 'held')
    if h and h ~= '' then
        return cjson.decode(h)
    end
    return nil
end

local function sorted_keys(t)
    local k = {}
    for x in pairs(t) do
        k[#k + 1] = x
    end
    table.sort(k)
    return k
end

-- ships up to q of s from where the order holds it (a shipment's
-- movement, m.at, only from its own location); returns how much
local function ship_held(held, s, q)
    local took = 0
    local places = held and sorted_keys(held) or {}
    if m.at and m.at ~= '' then
        places = (held and held[m.at]) and {m.at} or {}
    end
    for _, loc in ipairs(places) do
        local r = math.min(held[loc][s] or 0, q - took)
        if r > 0 then
            move(s, 'reserved:' .. loc, -r)
            move(s, 'on_hand:' .. loc, -r)
            redis.call('HINCRBY', res, s, -r)
            held[loc][s] = held[loc][s] - r
            took = took + r
        end
    end
    return took
end

-- the part of the order's reservation of s no place holds
local function unrouted_share(held, s)
    local r = tonumber(redis.call('HGET', res, s) or '0')
    for _, at in pairs(held or {}) do
        r = r - (at[s] or 0)
    end
    return r
end

-- refused before anything is written: Redis does not roll scripts back
if (kind == 'reserve' or kind == 'release' or kind == 'ship')
   and (m.order or '') == '' then
    return redis.error_reply('ledger: ' .. kind .. ' needs an order')
end
for _, line in ipairs(m.lines or {}) do
    if type(line.sku) ~= 'string' or line.sku == ''
       or type(line.qty) ~= 'number' or line.qty ~= math.floor(line.qty)
       or (kind ~= 'adjust' and line.qty < 0) then
        return redis.error_reply('ledger: a line needs a sku and an '
                                 .. 'integer quantity')
    end
end

if kind == 'reserve' then
    for _, line in ipairs(m.lines) do
        expand(line, function(s, q)
            move(s, 'unrouted', q)
            redis.call('HINCRBY', res, s, q)
            order[s] = (order[s] or 0) + q
        end)
    end
    for s, q in pairs(order) do
        local a = available(s)
        if a < 0 then
            oversold[#oversold + 1] = {sku = s, short = math.min(q, -a)}
        end
    end

elseif kind == 'release' then
    -- a routed order holds part of its reservation at places
    local held, sum = routed(), {}
    for loc, at in pairs(held or {}) do
        for s, q in pairs(at) do
            move(s, 'reserved:' .. loc, -q)
            sum[s] = (sum[s] or 0) + q
        end
    end
    local h = redis.call('HGETALL', res)
    for i = 1, #h, 2 do
        local q = tonumber(h[i + 1]) - (sum[h[i]] or 0)
        if q > 0 then
            move(h[i], 'unrouted', -q)
        end
    end
    redis.call('DEL', res, alloc)
    redis.call('ZREM', K .. 'route:waiting', m.order)

elseif kind == 'ship' then
    -- an order with shipments ships what its allocation still holds, each
    -- share at its location, and nothing beyond it: a share a shipment
    -- took already (ship_confirm.lua) is not taken again when the channel
    -- tells of it afterwards (the fulfilment invsync pushed, an order the
    -- channel marks completed), while a share still held (a manual
    -- location fulfilled in the channel's admin) leaves from where it is
    -- held
    local held = routed()
    m.by_shipments =
        redis.call('SCARD', K .. 'shipments:' .. m.order) > 0
    for _, line in ipairs(m.lines) do
        expand(line, function(s, q)
            q = q - ship_held(held, s, q)
            if q > 0 and not m.by_shipments then
                local r = math.min(unrouted_share(held, s), q)
                if r > 0 then
                    move(s, 'unrouted', -r)
                    redis.call('HINCRBY', res, s, -r)
                end
                move(s, 'on_hand:' .. line.loc, -q)
            end
        end)
    end
    if held then
        redis.call('HSET', alloc, 'held', cjson.encode(held))
    end

elseif kind == 'restock' or kind == 'adjust' then
    for _, line in ipairs(m.lines) do
        local bucket = 'on_hand:'
        if kind == 'restock' and line.bucket == 'damaged' then
            bucket = 'damaged:'
        end
        expand(line, function(s, q)
            move(s, bucket .. line.loc, q)
        end)
    end

elseif kind == 'count' then
    for _, line in ipairs(m.lines) do
        local key = K .. 'stock:' .. line.sku
        local field = 'on_hand:' .. line.loc
        local was = tonumber(redis.call('HGET', key, field) or '0')
        move(line.sku, 'on_hand:' .. line.loc, line.qty - was)
    end

else
    return redis.error_reply('unknown movement kind ' .. tostring(kind))
end

-- stock arrived: orders waiting for it are routed again (the worker
-- watches route:arrived, docs/routing.md)
if (kind == 'restock' or kind == 'adjust' or kind == 'count'
    or kind == 'release')
   and redis.call('EXISTS', K .. 'route:waiting') == 1 then
    redis.call('INCR', K .. 'route:arrived')
end

-- what each channel shows changes with every SKU moved, and with every
-- bundle made of it
local skus = {}
for s in pairs(moved) do
    skus[#skus + 1] = s
    local shown = {s}
    for _, b in ipairs(redis.call('SMEMBERS', K .. 'bundles:' .. s)) do
        shown[#shown + 1] = b
    end
    for _, x in ipairs(shown) do
        for _, ch in ipairs(redis.call('HKEYS', K .. 'skumap:' .. x)) do
            redis.call('SADD', K .. 'dirty:' .. ch, x)
        end
    end
end
table.sort(skus)

local detail = cjson.encode({moved = moved, oversold = oversold,
                             by_shipments = m.by_shipments})

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
    'result', 'applied', 'skus', table.concat(skus, ','),
    'detail', detail, unpack(ARGV, 6))

for _, s in ipairs(skus) do
    redis.call('ZADD', K .. 'audit:sku:' .. s, ARGV[2], id)
end
if m.order and m.order ~= '' then
    redis.call('ZADD', K .. 'audit:order:' .. m.order, ARGV[2], id)
end

redis.call('SET', KEYS[1], id, 'EX', ARGV[1])

return {1, id, detail}
