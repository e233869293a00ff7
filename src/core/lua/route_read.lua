-- What a routing decision reads, in one round trip: the order's current
-- allocation and, for each SKU of its lines, its tags, its components (a
-- bundle) and the ledger of it or of each component.
--
-- ARGV[1]  the worker key prefix "<p>:{<p>}:" (every key shares its tag)
-- ARGV[2]  the order, "<channel>:<order id>"
-- ARGV[3]  and on: the ledger SKUs of its lines
--
-- Returns flat arrays, as Redis holds them, for the worker to sum:
-- {seq of alloc:<order> or "", its held JSON ({loc: {sku: n}}) or "",
-- n, then n times sku, tags, components JSON or "" (the distinct SKUs
-- of ARGV), then per SKU whose ledger was read (a line's SKU that is no
-- bundle, each component): sku, the stock:<sku> HGETALL}.  Nothing is
-- decoded or encoded here: turning 50 locations per SKU into JSON cost
-- three times the commands (docs/performance.md).  route.lua re-checks
-- what the decision relies on.

local K = ARGV[1]
local a = redis.call('HMGET', K .. 'alloc:' .. ARGV[2], 'seq', 'held')
local out = {a[1] or '', a[2] or '', 0}
local seen, comps = {}, {}

for i = 3, #ARGV do
    local s = ARGV[i]
    if not seen[s] then
        seen[s] = true
        local h = redis.call('HMGET', K .. 'sku:' .. s, 'tags',
                             'components')
        out[#out + 1] = s
        out[#out + 1] = h[1] or ''
        out[#out + 1] = h[2] or ''
        out[3] = out[3] + 1
        if h[2] and h[2] ~= '' then
            for c in pairs(cjson.decode(h[2])) do
                comps[#comps + 1] = c
            end
        else
            comps[#comps + 1] = s
        end
    end
end

local read = {}
for _, s in ipairs(comps) do
    if not read[s] then
        read[s] = true
        out[#out + 1] = s
        out[#out + 1] = redis.call('HGETALL', K .. 'stock:' .. s)
    end
end

return out
