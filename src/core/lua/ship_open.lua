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
--          locations an order uses of many); "\1" first: of only some
--          (route.lua's, those its decision uses), and a parcel's location
--          not among them opens nothing: {'kinds'}, nothing written, for
--          the caller to call again with all
-- ARGV[6]  approximate bound of the audit stream
-- ARGV[7]  (route.lua, which includes this script, in the same step) the
--          allocation it has just written, {version, lines (a table),
--          backorder "1"/"0", rule}, as HMGET would give them, instead of reading alloc:<order> back; the
--          shipment.open entry's id is then returned, not indexed
--          (route.lua indexes both entries in one ZADD)
--
-- shipment:<id> fields: docs/fulfilment.md.  A shipment of kind warehouse
-- or 3pl is put in fulfil:due (now); a manual one waits for invsyncctl
-- ship.  A backordered allocation opens nothing: it waits for its stock.
-- Lines routed with a "mode" (route.lua keeps what the decision gave) are
-- not shipped by the location's kind: "pickup" opens a pickup shipment
-- (it waits for the buyer), "none" a counter one (the worker confirms it
-- at once); a shipment whose every line has "parcel": false (requires no
-- shipping) is of kind digital (confirmed at once too).  None of them is
-- due: no label, no 3PL.
--
-- An order edit can change how a location's part reaches the buyer (a
-- shipped order made a pickup at the same location, or back): the kind
-- of its shipment changes with it.  One the provider already knows (a
-- carrier shipment created or its label bought, a 3PL order placed:
-- provider_ref; state requested or stalled; or a request in flight: open
-- with its fulfil:due lease ahead of now) is not changed: its parcel may
-- be on its way, and whether to void the label, stop the 3PL order or
-- tell the buyer is a person's call.  It keeps its kind and lines, and a
-- shipment_kind_changed:<channel>:<order id>@<location> exception is
-- opened for that person (fields as exception.lua writes them; once: a
-- second delivery finds it).  Otherwise the kind changes, and a shipment
-- no longer of a warehouse or 3pl leaves fulfil:due (no label, no 3PL
-- order for a pickup); a failed one (its label refused) is open again.
-- docs/fulfilment.md, "Handed over at the location".
--
-- Returns {opened, updated, cancelled}, counts (and with ARGV[7] the
-- shipment.open entry's id, when one was written), or {'kinds'}.
--
-- Every shipment:<id> is made here, and joins shipments:<order> in the
-- same step (no other script or command makes one, none is deleted): the
-- set is read first and only its members' hashes are, so an order's first
-- routing reads none.

local K, now, order, channel = ARGV[2], ARGV[1], ARGV[3], ARGV[4]
-- loc's configured kind, or nil
local function configured(loc)
    local at = ARGV[5]:find('\0\0' .. loc .. '\0', 1, true)
    if not at then
        return nil
    end
    local from = at + #loc + 3
    return ARGV[5]:sub(from, ARGV[5]:find('\0', from, true) - 1)
end
local some = ARGV[5]:byte(1) == 1
local given = type(ARGV[7]) == 'table' and ARGV[7] or nil
local a = given
          or redis.call('HMGET', K .. 'alloc:' .. order, 'version',
                        'lines', 'backorder', 'rule')

if not a[1] or not a[2] or a[3] == '1' then
    return {0, 0, 0}
end

local version, rule = a[1], a[4] or ''
local setkey = K .. 'shipments:' .. order
local byloc, locs = {}, {}
for _, l in ipairs(given and a[2] or cjson.decode(a[2])) do
    if not byloc[l.loc] then
        byloc[l.loc] = {}
        locs[#locs + 1] = l.loc
    end
    local t = byloc[l.loc]
    t[#t + 1] = {line_id = l.line, sku = l.sku, qty = l.qty,
                 parcel = l.parcel, mode = l.mode}
end

-- the kind of the shipment of loc's lines t; nil: not among "some"
local function kind_of(loc, t)
    local parcel = false
    for _, l in ipairs(t) do
        if l.mode == 'pickup' then
            return 'pickup'
        elseif l.mode == 'none' then
            return 'counter'
        end
        parcel = parcel or l.parcel ~= false
    end
    if not parcel then
        return 'digital'
    end
    local k = configured(loc)
    if not k and some then
        return nil
    end
    return k or 'manual'
end

-- a line as the shipment keeps it: parcel only when false
local function kept(t)
    local out = {}
    for _, l in ipairs(t) do
        local k = {line_id = l.line_id, sku = l.sku, qty = l.qty}
        if l.parcel == false then
            k.parcel = false
        end
        out[#out + 1] = k
    end
    return out
end
table.sort(locs)

-- each kind before anything is written
local kinds = {}
for _, loc in ipairs(locs) do
    kinds[loc] = kind_of(loc, byloc[loc])
    if not kinds[loc] then
        return {'kinds'}
    end
end
local ids, member = redis.call('SMEMBERS', setkey), {}
for _, id in ipairs(ids) do
    member[id] = true
end

-- whether the provider knows the live shipment id (cur: its state,
-- version, kind, provider_ref): a label or 3PL order, or one being asked
local function committed(id, cur)
    if (cur[4] or '') ~= '' or cur[1] == 'requested'
       or cur[1] == 'stalled' then
        return true
    end
    local lease = redis.call('ZSCORE', K .. 'fulfil:due', id)
    return lease ~= false and tonumber(lease) > tonumber(now)
end

-- a kind change refused: the exception for a person, once
local function refused(id, had, wanted)
    local xid = 'shipment_kind_changed:' .. id
    local xkey = K .. 'exception:' .. xid
    if redis.call('EXISTS', xkey) == 1 then
        return
    end
    local why = 'the order now wants its ' .. had .. ' shipment '
                .. id .. ' to be ' .. wanted .. ', but its provider '
                .. 'has it already: void the label or cancel the 3PL '
                .. 'order, or tell the buyer'
    redis.call('HSET', xkey, 'id', xid, 'state', 'open', 'created', now,
               'updated', now, 'kind', 'shipment_kind_changed',
               'summary', why, 'channel', channel, 'event', id,
               'order', order, 'data',
               cjson.encode({order = order, shipment = id, kind = had,
                             wanted = wanted}))
    redis.call('ZADD', K .. 'exceptions:open', now, xid)
    redis.call('ZADD', K .. 'exceptions:all', now, xid)
    local aid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*',
        'result', 'exception', 'action', 'exception.open',
        'exception', xid, 'ts', now, 'kind', 'shipment_kind_changed',
        'summary', why, 'channel', channel, 'order', order)
    redis.call('ZADD', K .. 'audit:order:' .. order, now, aid)
end

local opened, updated, cancelled, due = {}, {}, {}, {}
local live = {open = true, requested = true, stalled = true,
              failed = true}

for _, loc in ipairs(locs) do
    local id = order .. '@' .. loc
    local key = K .. 'shipment:' .. id
    local cur = member[id]
                and redis.call('HMGET', key, 'state', 'version', 'kind',
                               'provider_ref')
                or {}
    local kind = kinds[loc]
    local lines = cjson.encode(kept(byloc[loc]))
    if not cur[1] then
        redis.call('HSET', key, 'order', order, 'channel', channel,
                   'order_id', order:sub(#channel + 2), 'location', loc,
                   'kind', kind, 'state', 'open', 'lines', lines,
                   'version', version, 'rule', rule, 'attempts', '0',
                   'opened_at', now)
        opened[#opened + 1] = id
    elseif cur[2] ~= version and live[cur[1]] and cur[3] ~= kind
           and committed(id, cur) then
        refused(id, cur[3], kind)
        kind = nil      -- kept as it is, for a person
    elseif cur[2] ~= version and live[cur[1]] then
        local set = {'lines', lines, 'version', version, 'rule', rule,
                     'kind', kind}
        if cur[3] ~= kind and cur[1] == 'failed' then
            set[#set + 1] = 'state'
            set[#set + 1] = 'open'
        end
        redis.call('HSET', key, unpack(set))
        if kind ~= 'warehouse' and kind ~= '3pl' then
            redis.call('ZREM', K .. 'fulfil:due', id)
        end
        updated[#updated + 1] = id
    else
        kind = nil      -- this version's, or shipped: nothing to do
    end
    if kind == 'warehouse' or kind == '3pl' then
        due[#due + 1] = now
        due[#due + 1] = id
    end
end
if #opened > 0 then
    redis.call('SADD', setkey, unpack(opened))
end

-- a location the new allocation does not use gives its shipment up (an
-- id is "<order>@<location>": those of a location it uses are not read)
local mine = #order + 2
for _, id in ipairs(ids) do
    local key = K .. 'shipment:' .. id
    local s = byloc[id:sub(mine)] and {}
              or redis.call('HMGET', key, 'state', 'location')
    if s[1] and live[s[1]] and not byloc[s[2]] then
        redis.call('HSET', key, 'state', 'cancelled',
                   'cancelled_at', now,
                   'last_error', 'the order was routed elsewhere')
        due[#due + 1] = now
        due[#due + 1] = id
        cancelled[#cancelled + 1] = id
    end
end
if #due > 0 then
    redis.call('ZADD', K .. 'fulfil:due', unpack(due))
end

if #opened + #updated + #cancelled > 0 then
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*',
        'result', 'applied', 'action', 'shipment.open', 'ts', now,
        'order', order, 'channel', channel, 'version', version,
        'opened', table.concat(opened, ','),
        'updated', table.concat(updated, ','),
        'cancelled', table.concat(cancelled, ','))
    if given then
        return {#opened, #updated, #cancelled, id}
    end
    redis.call('ZADD', K .. 'audit:order:' .. order, now, id)
end

return {#opened, #updated, #cancelled}
