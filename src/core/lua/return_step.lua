-- A return (RMA) moved on, once per cause: in transit, received and
-- inspected (a receipt: its lines and what the rules decided for each),
-- refunded, closed.  Each state reached is one entry of the record's
-- history and one audit entry (return.transit, return.receive,
-- return.inspect, return.refund, return.close) with its time and cause.
-- A cause already in the history, or a receipt id already recorded,
-- changes nothing.  The state never goes back: a second receipt of an
-- inspected return is recorded, its state stays inspected.  A receipt's
-- units fill the RMA's lines of their SKU in order (fill() below).
--
-- KEYS[1]  the RMA's hash <p>:{<p>}:rma:<id>
-- KEYS[2]  the audit stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  the step, JSON {states: [state, ...], cause, by, why (what
--          ended it: a channel's declined, cancelled, closed), tracking,
--          after_close (a channel's receipt, taken on a closed RMA: its
--          state stays closed),
--          receipt: {id, at, lines: [{sku, qty, condition, restock,
--          bucket, location, reason, not_shipped, line_id}]},
--          refund_due: {...}}
-- ARGV[4]  approximate bound of the audit stream
-- ARGV[5]  and on: field, value pairs of the audit entry
--
-- Returns {1, audit id, state} when recorded now, {0, state} when it was
-- before, an error when there is no such RMA or it is closed.

local K, now = ARGV[1], ARGV[2]
local rank = {open = 0, in_transit = 1, received = 2, inspected = 3,
              refunded = 4, closed = 5}
local action = {in_transit = 'return.transit',
                received = 'return.receive',
                inspected = 'return.inspect',
                refunded = 'return.refund', closed = 'return.close'}

-- Where a receipt's line r goes on the RMA's lines: {{line, units}, ...}.
-- The lines of the order line r names (line_id, a channel's receipt) when
-- the RMA has them, else those of its SKU; in order, each filled to its
-- qty (what is on it: received or missing) before the next, the rest on
-- the last (more than announced).  A SKU the RMA has no line of gets one
-- (qty 0).  invsync_return_fill() (invsync_return_lines.c) fills the same
-- way for the refund due.
local function fill(lines, r)
    local cands = {}
    if type(r.line_id) == 'string' then
        for _, l in ipairs(lines) do
            if l.sku == r.sku and l.line_id == r.line_id then
                cands[#cands + 1] = l
            end
        end
    end
    if #cands == 0 then
        for _, l in ipairs(lines) do
            if l.sku == r.sku then
                cands[#cands + 1] = l
            end
        end
    end
    if #cands == 0 then
        local hit = {sku = r.sku, qty = 0}
        lines[#lines + 1] = hit
        return {{hit, r.qty}}
    end
    -- beyond what shipped: counted on no line
    if r.not_shipped then
        return {}
    end
    local out, rest = {}, r.qty
    for i, l in ipairs(cands) do
        local take = rest
        if i < #cands then
            local room = (tonumber(l.qty) or 0) - (l.received or 0)
                         - (l.missing or 0)
            if room < take then
                take = room
            end
        end
        if take > 0 then
            out[#out + 1] = {l, take}
            rest = rest - take
        end
        if rest <= 0 then
            break
        end
    end
    return out
end

local h = redis.call('HMGET', KEYS[1], 'state', 'order', 'history',
                     'receipts', 'lines', 'refund_due', 'id')
if not h[1] then
    return redis.error_reply('return_step: no RMA')
end

local s = cjson.decode(ARGV[3])
local history = cjson.decode(h[3])
local receipts = cjson.decode(h[4])

for _, e in ipairs(history) do
    if e.cause == s.cause then
        return {0, h[1]}
    end
end
if s.receipt and receipts[s.receipt.id] then
    return {0, h[1]}
end
if h[1] == 'closed' and not s.after_close then
    return redis.error_reply('return_step: RMA ' .. h[7]
                             .. ' is closed')
end

local state = h[1]
local set = {}
local last

for _, st in ipairs(s.states) do
    if not rank[st] or st == 'open' then
        return redis.error_reply('return_step: unknown state ' .. st)
    end
    if rank[st] > rank[state] then
        state = st
    end
    local rid = s.receipt and s.receipt.id or nil
    history[#history + 1] = {state = st, at = tonumber(now),
                             cause = s.cause, by = s.by, receipt = rid,
                             why = s.why}
    last = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
        'result', 'applied', 'action', action[st], 'ts', now,
        'order', h[2], 'rma', h[7], 'state', st, 'cause', s.cause,
        'inputs', ARGV[3], unpack(ARGV, 5))
    redis.call('ZADD', K .. 'audit:order:' .. h[2], now, last)
end

-- the receipt's units on the RMA's lines: received, back on hand, damaged
if s.receipt then
    receipts[s.receipt.id] = {at = tonumber(now), cause = s.cause,
                              lines = s.receipt.lines}
    local lines = cjson.decode(h[5])
    for _, r in ipairs(s.receipt.lines) do
        for _, p in ipairs(fill(lines, r)) do
            local hit, n = p[1], p[2]
            if r.condition == 'missing' then
                hit.missing = (hit.missing or 0) + n
            elseif not r.not_shipped then
                hit.received = (hit.received or 0) + n
                if r.restock and r.bucket == 'damaged' then
                    hit.damaged = (hit.damaged or 0) + n
                elseif r.restock then
                    hit.restocked = (hit.restocked or 0) + n
                end
            end
        end
    end
    set[#set + 1] = 'receipts'
    set[#set + 1] = cjson.encode(receipts)
    set[#set + 1] = 'lines'
    set[#set + 1] = cjson.encode(lines)
end

if s.refund_due then
    local due = cjson.decode(h[6])
    due[#due + 1] = s.refund_due
    set[#set + 1] = 'refund_due'
    set[#set + 1] = cjson.encode(due)
end

if s.tracking then
    set[#set + 1] = 'tracking'
    set[#set + 1] = s.tracking
end

redis.call('HSET', KEYS[1], 'state', state, 'updated', now,
           'history', cjson.encode(history), unpack(set))

return {1, last, state}
