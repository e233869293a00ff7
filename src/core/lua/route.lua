-- An order's routing decision applied to the ledger: its reservation moved
-- from unrouted to reserved:<loc> for every line at once, with the
-- order.route audit entry, exactly once per order version.
--
-- KEYS[1]  done key <p>:{<p>}:done:ledger:route:<order>:<version>
-- KEYS[2]  audit stream
-- ARGV[1]  lifetime of the done key, seconds
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the worker key prefix "<p>:{<p>}:"
-- ARGV[4]  the decision, JSON: {"order": "<channel>:<id>", "version": n,
--          "seen": the alloc:<order> seq the decision read ("" none),
--          "backorder": bool, "lines": [{"line": id, "sku": s, "loc": l,
--          "qty": n, "comp": {sku: qty} only for a bundle's line}],
--          "exception": id of an unroutable exception to resolve, or "",
--          "unroutable": true when no rule could fill it, "rule": the
--          name of the rule that matched (its "rate" tells the
--          fulfilment engine which label to buy)}
-- ARGV[5]  approximate bound of the audit stream
-- ARGV[6]  "1" when a channel shows a location-filtered quantity (its
--          SKUs' channels are marked dirty), else "0": a channel that
--          counts every location shows the same after routing
-- ARGV[7]  the order's channel: its shipments are opened in this step
--          (ship_open.lua, included), or "": not here
-- ARGV[8]  the kind of each location the decision uses, as ship_open.lua
--          takes them ("\1" first: only some locations; an allocation
--          made elsewhere, found on a duplicate or an older version, is
--          left to the caller's own ship_open.lua call when it uses
--          another)
-- ARGV[9]  and on: field, value pairs of the audit entry (the trace in
--          "inputs")
--
-- alloc:<order> holds what the order has routed: version, seq (one more
-- at each routing: a decision made on an older one is stale), audit, ts,
-- lines (JSON, as given), rule and held (JSON {loc: {sku: qty}}, a bundle's
-- components expanded).  The order's share of unrouted is then
-- reservation[sku] - its held amounts; routing replaces the whole share
-- (an edited order's new allocation releases the old in the same step).
--
-- A bundle's line is expanded with the components the decision read
-- (the sku:<bundle> components it read, the line's "comp"), not read
-- again here: the decision placed the line by those components' stock, and
-- the re-check below is of exactly what this step then holds, so nothing
-- is held that was not checked.  A bundle redefined between the read and
-- this step is routed as if redefined just after it (read, decided, held
-- by one definition); reading it again here would hold the new components
-- at places chosen for the old ones.  One HGET less per line.
--
-- route:waiting holds an order only after this script's unroutable path
-- (the worker opened the order's unroutable exception just before: that
-- exception hash then exists, for good) or its backorder path (alloc
-- backorder "1", written in the same step): a routed order is taken out
-- of it only when one of those holds, or when the caller names no
-- exception (it cannot tell), not with a ZREM on every order.
--
-- Returns {0, id} when this version was applied before, {2, id} when
-- unroutable was recorded, {'older', v}
-- when the order has a newer allocation, {'stale', sku, loc, free} when
-- the stock changed since the decision read it (nothing written: the
-- caller reads again and decides again), else {1, audit id}.  With a
-- channel, {0, id}, {'older', v} and {1, id} go on with ship_open.lua's
-- {opened, updated, cancelled}, or with its error's text alone; they stay
-- alone when the allocation has a location ARGV[8] lacks (ship_open.lua's
-- {'kinds'}, nothing opened: the caller's own call opens them).

--#include ship_open

local K = ARGV[3]
local d = cjson.decode(ARGV[4])
local order = d.order or ''

-- the shipments of the allocation as it is now (this one, one made
-- before: a delivery again, a crash after this step), once per version,
-- in the same step as the allocation: one script call, not two
-- given: the allocation just written (ship_open.lua's ARGV[7]); the
-- shipment.open entry's id is then reply[6]
local function shipped(reply, given)
    if ARGV[7] == '' then
        return reply
    end
    local ok, s = pcall(ship_open, {KEYS[2]},
                        {ARGV[2], K, order, ARGV[7], ARGV[8], ARGV[5],
                         given})
    if not ok then
        reply[3] = type(s) == 'table' and tostring(s.err) or tostring(s)
        return reply
    end
    -- a location ARGV[8] does not have: the caller opens them itself
    if s[1] == 'kinds' then
        return reply
    end
    reply[3], reply[4], reply[5], reply[6] = s[1], s[2], s[3], s[4]
    return reply
end

local done = redis.call('GET', KEYS[1])
if done then
    return shipped({0, done})
end

if order == '' then
    return redis.error_reply('route: needs an order')
end

local akey = K .. 'alloc:' .. order
local rkey = K .. 'reservation:' .. order
local cur = redis.call('HMGET', akey, 'version', 'held', 'seq',
                      'backorder')
local curv = tonumber(cur[1])

if curv and tonumber(d.version) and curv > tonumber(d.version) then
    return shipped({'older', cur[1]})
end

-- no rule could fill it: the decision is audited, the order waits (an
-- allocation it had stays until one can be made)
if d.unroutable then
    local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
        'result', 'exception', 'skus', '', unpack(ARGV, 9))
    redis.call('ZADD', K .. 'audit:order:' .. order, ARGV[2], id)
    redis.call('ZADD', K .. 'route:waiting', 'NX', ARGV[2], order)
    redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
    return {2, id}
end

if type(d.lines) ~= 'table' or #d.lines == 0 then
    return redis.error_reply('route: needs the lines')
end
if (cur[3] or '') ~= tostring(d.seen or '') then
    return {'stale', '', '', 'allocation'}
end

local old = {}
if cur[2] and cur[2] ~= '' then
    old = cjson.decode(cur[2])
end

-- the new holding, {loc: {sku: qty}}, bundles expanded
local held, skus = {}, {}
for _, l in ipairs(d.lines) do
    if type(l.sku) ~= 'string' or type(l.loc) ~= 'string' or l.loc == ''
       or type(l.qty) ~= 'number' or l.qty < 0
       or l.qty ~= math.floor(l.qty) then
        return redis.error_reply('route: a line needs a sku, a '
                                 .. 'location and an integer quantity')
    end
    local at = held[l.loc] or {}
    held[l.loc] = at
    local c = type(l.comp) == 'table' and l.comp or {[l.sku] = 1}
    for s, q in pairs(c) do
        at[s] = (at[s] or 0) + q * l.qty
        skus[s] = true
    end
end

local function was(loc, s)
    return (old[loc] and old[loc][s]) or 0
end

-- a value as HINCRBY takes it (Redis's own integer form, small enough
-- for a Lua number to hold exactly: absent is 0), else nil
local function int(v)
    if v == false then
        return 0
    end
    if #v <= 15 and (v == '0' or v:find('^%-?[1-9]%d*$')) then
        return tonumber(v)
    end
    return nil
end

-- checked before anything is written: Redis does not roll scripts back.
-- One HMGET per SKU, for each of its places and its unrouted: read[s]
-- keeps what it gave, for the move below to set
local read = {}
if not d.backorder then
    local places = {}
    for loc, at in pairs(held) do
        for s in pairs(at) do
            places[s] = places[s] or {}
            places[s][#places[s] + 1] = loc
        end
    end
    for s, locs in pairs(places) do
        local f = {'unrouted'}
        for _, loc in ipairs(locs) do
            f[#f + 1] = 'on_hand:' .. loc
            f[#f + 1] = 'reserved:' .. loc
        end
        local h = redis.call('HMGET', K .. 'stock:' .. s, unpack(f))
        for i, loc in ipairs(locs) do
            local free = (tonumber(h[2 * i]) or 0)
                         - (tonumber(h[2 * i + 1]) or 0) + was(loc, s)
            if free < held[loc][s] then
                return {'stale', s, loc, tostring(free)}
            end
        end
        local r = {}
        for i, field in ipairs(f) do
            r[field] = h[i]
        end
        read[s] = r
    end
end

-- every change summed first (the old and the new allocation at one place
-- often cancel out), then per SKU one HSET of the fields that move whose
-- value the check above read (unrouted and reserved:<loc> of the usual
-- first routing: the value read plus the change, as HINCRBY would leave
-- it), one HINCRBY for each other (a place only the old allocation used;
-- a backorder, not checked)
local delta, moved = {}, {}
local function move(s, field, d)
    local t = delta[s] or {}
    delta[s] = t
    t[field] = (t[field] or 0) + d
end

-- the order's old share of each SKU it routes now, then the new one
local oldsum = {}
for loc, at in pairs(old) do
    for s, q in pairs(at) do
        oldsum[s] = (oldsum[s] or 0) + q
        if skus[s] then
            move(s, 'reserved:' .. loc, -q)
        end
    end
end
local list = {}
for s in pairs(skus) do
    list[#list + 1] = s
end
local reserved = redis.call('HMGET', rkey, unpack(list))
for i, s in ipairs(list) do
    local unrouted = (tonumber(reserved[i]) or 0) - (oldsum[s] or 0)
    if unrouted > 0 then
        move(s, 'unrouted', -unrouted)
    end
end
local newsum = {}
for loc, at in pairs(held) do
    for s, q in pairs(at) do
        move(s, 'reserved:' .. loc, q)
        newsum[s] = (newsum[s] or 0) + q
    end
end
-- the order's reservation per SKU, written only when routing changed it
-- (a bundle's share, an edit): a first routing leaves it as it is
local rset, was_res = {}, {}
for i, s in ipairs(list) do
    was_res[s] = tonumber(reserved[i])
end
for s, q in pairs(newsum) do
    if was_res[s] ~= q then
        rset[#rset + 1] = s
        rset[#rset + 1] = q
    end
end
if #rset > 0 then
    redis.call('HSET', rkey, unpack(rset))
end
for s, t in pairs(delta) do
    local r, set = read[s] or {}, {}
    for field, d in pairs(t) do
        if d ~= 0 then
            local v = r[field] ~= nil and int(r[field])
            if v then
                set[#set + 1] = field
                set[#set + 1] = string.format('%d', v + d)
            else
                redis.call('HINCRBY', K .. 'stock:' .. s, field, d)
            end
            moved[s] = true
        end
    end
    if #set > 0 then
        redis.call('HSET', K .. 'stock:' .. s, unpack(set))
    end
end
-- a SKU of the old holding the new one no longer routes goes back
for loc, at in pairs(old) do
    for s, q in pairs(at) do
        if not skus[s] then
            held[loc] = held[loc] or {}
            held[loc][s] = q
        end
    end
end

list = {}
for s in pairs(moved) do
    list[#list + 1] = s
end
table.sort(list)

local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
    'result', 'applied', 'skus', table.concat(list, ','),
    unpack(ARGV, 9))

for _, s in ipairs(list) do
    redis.call('ZADD', K .. 'audit:sku:' .. s, ARGV[2], id)
end

redis.call('HSET', akey, 'version', tostring(d.version or ''),
           'lines', cjson.encode(d.lines), 'held', cjson.encode(held),
           'audit', id, 'ts', ARGV[2],
           'seq', (tonumber(cur[3]) or 0) + 1,
           'backorder', d.backorder and '1' or '0',
           'rule', tostring(d.rule or ''))

-- the unroutable exception the caller names, if there is one
local xkey = K .. 'exception:' .. (d.exception or '')
local st = (d.exception or '') ~= ''
           and redis.call('HGET', xkey, 'state')

-- a backorder waits for stock like an unroutable order, oldest first; a
-- routed order leaves the set if it can be in it (the header)
if d.backorder then
    redis.call('ZADD', K .. 'route:waiting', 'NX', ARGV[2], order)
elseif cur[4] == '1' or (d.exception or '') == '' or st then
    redis.call('ZREM', K .. 'route:waiting', order)
end

-- the order waited as unroutable: routed now, the exception is closed
if (d.exception or '') ~= '' then
    if st == 'open' or st == 'retried' then
        redis.call('HSET', xkey, 'state', 'resolved', 'resolved_by',
                   'invsync-worker', 'resolution', 'routed', 'updated',
                   ARGV[2])
        redis.call('ZREM', K .. 'exceptions:open', d.exception)
        local rid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5],
            '*', 'result', 'done', 'action', 'exception.resolve',
            'exception', d.exception, 'ts', ARGV[2], 'by',
            'invsync-worker', 'why', 'routed', 'order', order)
        redis.call('ZADD', K .. 'audit:order:' .. order, ARGV[2], rid)
    end
end

-- reserved moved between places: availability is the same, but the
-- channels that show a location-filtered quantity must look again
for _, s in ipairs(ARGV[6] == '1' and list or {}) do
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

redis.call('SET', KEYS[1], id, 'EX', ARGV[1])

-- the order's audit index gets this entry and its shipment.open in one
-- ZADD (same time: their ids keep them in order)
local reply = shipped({1, id}, {tostring(d.version or ''), d.lines,
                                d.backorder and '1' or '0',
                                tostring(d.rule or '')})
redis.call('ZADD', K .. 'audit:order:' .. order, ARGV[2], id,
           ARGV[2], reply[6] or id)
reply[6] = nil
return reply
