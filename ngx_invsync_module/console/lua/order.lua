-- One order (<channel>:<order id>): its record (the canonical order the
-- worker keeps, as JSON text), its audit trail, newest first, which names
-- each event that reached it and each effect it had, and what became of
-- it: its routing (K alloc:, the last order.route decision, the
-- unroutable exception, K route:waiting), its shipments (K shipments:,
-- K shipment:<id>) and its refunds (refund.record and refund.restock in
-- its audit, K refund:, and their journal entries through
-- K done:journal:<cause>: the journal has no index by order, but each
-- entry is named by its refund's or restock's cause).
--
-- ARGV[1]  K, ARGV[2] order

local order = ARGV[2]
local rec = fields(redis.call('HGETALL', K .. 'order:' .. order))
-- data stays JSON text: Lua numbers would round long ids

-- the routing and refunds look further back than the trail shown
local all = audit(K .. 'audit:order:' .. order, 500)
local trail = {}
for i = 1, math.min(#all, 100) do
    trail[i] = all[i]
end

-- JSON text as a table, nil when it is none; only the strings and small
-- counts of what the worker wrote are taken from it
local function parsed(s)
    if s == nil or s == '' then
        return nil
    end
    local ok, v = pcall(cjson.decode, s)
    if ok and type(v) == 'table' then
        return v
    end
    return nil
end

local function text(v)
    if type(v) == 'string' then
        return v
    end
    if type(v) == 'number' then
        return tostring(v)
    end
    return nil
end

-- [{line, sku, reason}] of an unroutable decision or exception
local function reasons(v)
    local out = {}
    for _, r in ipairs(type(v) == 'table' and v or {}) do
        if type(r) == 'table' then
            out[#out + 1] = { line = text(r['line']), sku = text(r['sku']),
                              reason = text(r['reason']) }
        end
    end
    return out
end

-- K alloc:'s lines, [{line, sku, loc, qty}], per location in name order
local function per_location(lines)
    local by, names, out = {}, {}, {}
    for _, l in ipairs(lines or {}) do
        local loc = text(l['loc']) or ''
        if by[loc] == nil then
            by[loc] = { location = loc, lines = {} }
            names[#names + 1] = loc
        end
        local t = by[loc].lines
        t[#t + 1] = { line = text(l['line']), sku = text(l['sku']),
                      qty = tonumber(l['qty']) }
    end
    table.sort(names)
    for _, n in ipairs(names) do
        out[#out + 1] = by[n]
    end
    return out
end

-- the decision's trace as the decision wrote it: the audit keeps its
-- locations packed, "considered_packed" (docs/routing.md, "The trace";
-- invsync_route_unpack.c does the same for invsyncctl), spelled out again
-- here in their place, member for member, the rest of the text as it is
local REASONS = { [0] = 'ok', 'inactive', 'not_for_channel',
                  'excluded_by_rule', 'missing_capability', 'no_stock',
                  'too_many_shipments' }

local function unpacked_loc(p, lines, skus)
    local o = { '{"location":', cjson.encode(p[1]) }
    if #p == 2 then
        o[#o + 1] = ',"kept":false,"reason":'
        o[#o + 1] = cjson.encode(REASONS[p[2]] or '?') .. '}'
        return table.concat(o)
    end
    o[#o + 1] = ',"kept":true'
    if p[2] % 2 == 1 then
        o[#o + 1] = ',"preferred":true'
    end
    if p[2] % 8 >= 4 then
        o[#o + 1] = ',"cutoff":"passed"'
    elseif p[2] % 4 >= 2 then
        o[#o + 1] = ',"cutoff":"open"'
    end
    if p[3] >= 0 then
        o[#o + 1] = string.format(',"distance_km":%d.%d',
                                  math.floor(p[3] / 10), p[3] % 10)
    end
    local st, cn, c = {}, {}, p[5] or {}
    for k, sku in ipairs(skus) do
        local n = type(p[4]) == 'table' and tonumber(p[4][k])
        st[k] = cjson.encode(sku) .. ':'
                .. (n and string.format('%d', n) or 'null')
    end
    o[#o + 1] = ',"stock":{' .. table.concat(st, ',') .. '}'
    for k = 1, #c - 1, 2 do
        local line = type(lines[c[k] + 1]) == 'table'
                     and lines[c[k] + 1]['line'] or nil
        cn[#cn + 1] = '{"line":' .. cjson.encode(line) .. ',"reason":'
                      .. cjson.encode(REASONS[c[k + 1]] or '?') .. '}'
    end
    if #cn > 0 then
        o[#o + 1] = ',"cannot":[' .. table.concat(cn, ',') .. ']'
    end
    return table.concat(o) .. '}'
end

local function unpacked_all(s, tr)
    local packed = tr['considered_packed']
    local at = s and s:find('"considered_packed":', 1, true)
    if type(packed) ~= 'table' or not at then
        return s
    end
    -- the packed array's end: brackets counted outside strings
    local i, depth = at + 20, 0
    while i do
        i = s:find('[%[%]"]', i)
        local c = i and s:sub(i, i)
        if c == '"' then
            repeat
                i = s:find('[\\"]', i + 1)
                local esc = i and s:sub(i, i) == '\\'
                i = i and (esc and i + 1 or i)
            until not i or not esc
        elseif c == '[' then
            depth = depth + 1
        elseif c == ']' then
            depth = depth - 1
            if depth == 0 then
                break
            end
        end
        i = i and i + 1
    end
    if not i then
        return s
    end
    local lines, skus, seen = tr['lines'] or {}, {}, {}
    for _, l in ipairs(lines) do
        local sku = type(l) == 'table' and l['sku']
        if type(sku) == 'string' and not seen[sku] then
            seen[sku] = true
            skus[#skus + 1] = sku
        end
    end
    local out = {}
    for k, p in ipairs(packed) do
        out[k] = unpacked_loc(p, lines, skus)
    end
    return s:sub(1, at - 1) .. '"considered":[' .. table.concat(out, ',')
           .. ']' .. s:sub(i + 1)
end

-- a trace this cannot read is shown as it is stored
local function unpacked(s, tr)
    local ok, v = pcall(unpacked_all, s, tr)
    return ok and v or s
end

local function routing()
    local a = fields(redis.call('HGETALL', K .. 'alloc:' .. order))
    local out = {
        allocated = a['version'] ~= nil, version = a['version'],
        seq = tonumber(a['seq']), ts = tonumber(a['ts']),
        backorder = a['backorder'] == '1', audit = a['audit'],
        locations = per_location(parsed(a['lines'])), held = a['held'],
        waiting_since = tonumber(redis.call('ZSCORE', K .. 'route:waiting',
                                            order)),
        unroutable = false, reasons = {}
    }

    -- the last decision: the newest order.route entry of the order, or
    -- the one K alloc: names when the trail no longer holds it
    local d
    for _, e in ipairs(all) do
        if e['action'] == 'order.route' then
            d = e
            break
        end
    end
    if d == nil and a['audit'] then
        d = entry(K .. 'audit', a['audit'])
    end

    if d then
        local tr = parsed(d['inputs']) or {}
        out.decision = {
            audit = d['id'], ts = tonumber(d['ts']), result = d['result'],
            status = text(tr['status']), rule = text(tr['rule']),
            default = tr['default'] == true,
            strategy = text(tr['strategy']), reason = text(tr['reason']),
            shipments = tonumber(tr['shipments']),
            trace = unpacked(d['inputs'], tr)
        }
        out.unroutable = tr['status'] == 'unroutable'
        out.reasons = reasons(tr['unroutable'])
    end

    local x = fields(redis.call('HGETALL', K .. 'exception:unroutable:'
                                .. order))
    if x['id'] then
        out.exception = { id = x['id'], state = x['state'],
                          summary = x['summary'],
                          created = tonumber(x['created']) }
        if x['state'] ~= 'resolved' then
            local data = parsed(x['data']) or {}
            out.unroutable = true
            if #out.reasons == 0 then
                out.reasons = reasons(data['reasons'])
            end
        end
    end

    out.locations = list(out.locations)
    out.reasons = list(out.reasons)
    return out
end

local function shipments()
    local ids = redis.call('SMEMBERS', K .. 'shipments:' .. order)
    local out = {}
    table.sort(ids)
    for _, id in ipairs(ids) do
        local s = fields(redis.call('HGETALL', K .. 'shipment:' .. id))
        if next(s) ~= nil then
            -- lines stay JSON text, like every JSON field of a hash
            s['id'] = id
            out[#out + 1] = s
        end
    end
    return out
end

-- a journal entry by its cause, nil when none was written
local function journal(cause)
    local id = redis.call('GET', K .. 'done:journal:' .. cause)
    if not id then
        return nil
    end
    local e = entry(K .. 'journal', id)
    if e == nil then
        return nil
    end
    return { id = e['id'], cause = e['cause'], date = e['date'],
             source = e['source'], lines = e['lines'] }
end

-- the refund id of a restock entry: its cause is
-- restock:<channel>:<refund id>:<line id, else the SKU>
local function restock_refund(e, d)
    local cause = e['cause'] or ''
    local head = 'restock:' .. (e['channel'] or '') .. ':'
    local tail = ':' .. (text(d['line']) or text(d['sku']) or '')
    if #cause > #head + #tail
       and string.sub(cause, 1, #head) == head
       and string.sub(cause, -#tail) == tail then
        return string.sub(cause, #head + 1, #cause - #tail)
    end
    return nil
end

local function refunds()
    local out, byevent, byid = {}, {}, {}

    -- each refund.record, the newest of an event; its id is its inputs'
    -- refund_id when the worker wrote one, else its restocks' (below)
    for _, e in ipairs(all) do
        local key = (e['channel'] or '') .. '\n' .. (e['event'] or '')
        if e['action'] == 'refund.record' and byevent[key] == nil then
            local i = parsed(e['inputs']) or {}
            local r = {
                id = text(i['refund_id']), channel = e['channel'],
                event = e['event'], ts = tonumber(e['ts']),
                result = e['result'], audit = e['id'],
                amount_minor = tonumber(i['amount_minor']),
                currency = text(i['currency']), status = text(i['status']),
                lines_from = text(i['lines_from']),
                matched_by = text(i['matched_by']), restock = {},
                journal = {}
            }
            byevent[key] = r
            out[#out + 1] = r
        end
    end

    -- each line's restock decision, with the refund it belongs to
    for _, e in ipairs(all) do
        if e['action'] == 'refund.restock' then
            local d = parsed(e['decision']) or {}
            local rid = restock_refund(e, d)
            local key = (e['channel'] or '') .. '\n' .. (e['event'] or '')
            local r = byevent[key]
            if r == nil then
                -- its refund.record was trimmed from the audit
                r = { id = rid, channel = e['channel'], event = e['event'],
                      ts = tonumber(e['ts']), restock = {}, journal = {} }
                byevent[key] = r
                out[#out + 1] = r
            end
            r.id = r.id or rid
            r.restock[#r.restock + 1] = {
                audit = e['id'], ts = tonumber(e['ts']), cause = e['cause'],
                sku = text(d['sku']), line = text(d['line']),
                quantity = tonumber(d['quantity']),
                restock = d['restock'] == true, reason = text(d['reason']),
                location = text(d['location']), bucket = text(d['bucket']),
                decision = e['decision']
            }
        end
    end

    for _, r in ipairs(out) do
        if r.id then
            local st = fields(redis.call('HGETALL', K .. 'refund:'
                                         .. (r.channel or '') .. ':' .. r.id))
            if st['version'] then
                r.record = st
            end
            r.journal[#r.journal + 1] = journal('refund:' .. (r.channel or '')
                                                .. ':' .. r.id)
        end
        for _, x in ipairs(r.restock) do
            r.journal[#r.journal + 1] = journal(x.cause or '')
        end
        r.restock = list(r.restock)
        r.journal = list(r.journal)
    end

    return out
end

local route = routing()
local ships = shipments()
local money = refunds()

return json({
    order = order,
    known = rec['version'] ~= nil or #all > 0 or route.allocated
            or #ships > 0,
    record = rec, audit = list(trail), routing = route,
    shipments = list(ships), refunds = list(money)
})
