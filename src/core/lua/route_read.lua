-- What a routing decision reads, in one round trip: the order's current
-- allocation and, for each SKU of its lines, its tags, its components (a
-- bundle) and the ledger of it or of each component.
--
-- ARGV[1]  the worker key prefix "<p>:{<p>}:" (every key shares its tag)
-- ARGV[2]  the order, "<channel>:<order id>"
-- ARGV[3]  and on: the ledger SKUs of its lines
--
-- Returns JSON {"seq": alloc:<order> seq or "", "held": {loc: {sku: n}},
-- "skus": {sku: {"tags": s, "components": {sku: n} or absent}},
-- "stock": {sku: {loc: on_hand - reserved there}}}; route.lua re-checks
-- what the decision relies on.

local K = ARGV[1]
local a = redis.call('HMGET', K .. 'alloc:' .. ARGV[2], 'seq', 'held')
local out = {seq = a[1] or '', held = {}, skus = {}, stock = {}}

if a[2] and a[2] ~= '' then
    out.held = cjson.decode(a[2])
end

local function ledger(s)
    if out.stock[s] then
        return
    end
    local h = redis.call('HGETALL', K .. 'stock:' .. s)
    local t = {}
    for i = 1, #h, 2 do
        local f, v = h[i], tonumber(h[i + 1]) or 0
        if f:sub(1, 8) == 'on_hand:' then
            local loc = f:sub(9)
            t[loc] = (t[loc] or 0) + v
        elseif f:sub(1, 9) == 'reserved:' then
            local loc = f:sub(10)
            t[loc] = (t[loc] or 0) - v
        end
    end
    out.stock[s] = t
end

for i = 3, #ARGV do
    local s = ARGV[i]
    local h = redis.call('HMGET', K .. 'sku:' .. s, 'tags',
                         'components')
    local one = {tags = h[1] or ''}
    if h[2] and h[2] ~= '' then
        one.components = cjson.decode(h[2])
        for c in pairs(one.components) do
            ledger(c)
        end
    else
        ledger(s)
    end
    out.skus[s] = one
end

return cjson.encode(out)
