-- What a routing decision reads first, in one round trip: each line's
-- ledger SKU as stock.reserve resolves it (its refs' skuref keys, the
-- first mapped wins), the order's current allocation and, for each SKU,
-- its tags and its components (a bundle): which ledgers to read.
--
-- ARGV[1]  the worker key prefix "<p>:{<p>}:" (every key shares its tag)
-- ARGV[2]  the order, "<channel>:<order id>"
-- ARGV[3]  n, the lines with a quantity
-- ARGV[4]  and on: n times a count k, then k skuref keys of that line
--
-- Returns flat arrays, as Redis holds them, for the worker:
-- {seq of alloc:<order> or "", its held JSON ({loc: {sku: n}}) or "",
-- n, n times the line's SKU or "" (unmapped), m, then m times sku, tags,
-- components JSON or "" (the distinct SKUs of the lines), then k and k
-- SKUs whose ledger the decision needs (a line's SKU that is no bundle,
-- each component)}.  The worker reads those ledgers itself, one plain
-- HGETALL stock:<sku> each, in the next round trip: turned into Lua
-- values here, 200 fields of 50 locations cost Redis twice what
-- answering them directly does (docs/performance.md, "The ledger read
-- as plain HGETALLs").  Nothing here needs to be read in the same step
-- as the ledger: route.lua re-checks the allocation (its seq) and the
-- stock the decision relies on.

local K = ARGV[1]
local a = redis.call('HMGET', K .. 'alloc:' .. ARGV[2], 'seq', 'held')
local n = tonumber(ARGV[3])
local out = {a[1] or '', a[2] or '', n}
local lines = {}

-- a key that holds no string maps nothing, as a GET's error does for
-- stock.reserve
local at = 4
for _ = 1, n do
    local k, sku = tonumber(ARGV[at]), ''
    for j = at + 1, at + k do
        if sku == '' then
            local v = redis.pcall('GET', ARGV[j])
            if type(v) == 'string' then
                sku = v
            end
        end
    end
    at = at + 1 + k
    out[#out + 1] = sku
    if sku ~= '' then
        lines[#lines + 1] = sku
    end
end

local m = #out + 1
out[m] = 0
local seen, comps = {}, {}

for _, s in ipairs(lines) do
    if not seen[s] then
        seen[s] = true
        local h = redis.call('HMGET', K .. 'sku:' .. s, 'tags',
                             'components')
        out[#out + 1] = s
        out[#out + 1] = h[1] or ''
        out[#out + 1] = h[2] or ''
        out[m] = out[m] + 1
        if h[2] and h[2] ~= '' then
            for c in pairs(cjson.decode(h[2])) do
                comps[#comps + 1] = c
            end
        else
            comps[#comps + 1] = s
        end
    end
end

local k = #out + 1
out[k] = 0
local read = {}
for _, s in ipairs(comps) do
    if not read[s] then
        read[s] = true
        out[#out + 1] = s
        out[k] = out[k] + 1
    end
end

return out
