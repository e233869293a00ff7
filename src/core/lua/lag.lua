-- The lag of a consumer group: the entries of its stream with an id
-- above the group's last-delivered-id, counted.  Redis 7.0's own "lag"
-- is entries-added - entries-read, and entries-read is not restored by
-- an append-only file's replay (its XCLAIM ... LASTID moves the group's
-- last-delivered-id, not its entries-read), so it can read thousands on
-- a drained group.  XLEN and last-delivered-id are exact, so the entries
-- above it are counted, or the entries at or below it and taken from
-- XLEN, whichever side is shorter: both are counted a chunk at a time,
-- turn about, until one ends.  See docs/worker.md, "Lag".
--
-- KEYS[1]  stream
-- ARGV[1]  consumer group
-- ARGV[2]  the most entries counted (both sides together)
--
-- Returns {lag, exact}: exact 1 when counted; 0 when both sides are
-- longer than the bound, the lag then Redis's own bounded by what was
-- counted (or the entries counted above, without it).  false: no group.

local chunk = 500
local last, rlag

for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local f = {}

    for i = 1, #g, 2 do
        f[g[i]] = g[i + 1]
    end

    if f['name'] == ARGV[1] then
        last = f['last-delivered-id']
        rlag = f['lag']
    end
end

if last == nil then
    return false
end

local len = redis.call('XLEN', KEYS[1])
local max = tonumber(ARGV[2])
local above, below = 0, 0
local up, down = '(' .. last, last

while true do
    local r = redis.call('XRANGE', KEYS[1], up, '+', 'COUNT', chunk)
    above = above + #r

    if #r < chunk then
        return {above, 1}
    end

    up = '(' .. r[#r][1]

    r = redis.call('XREVRANGE', KEYS[1], down, '-', 'COUNT', chunk)
    below = below + #r

    if #r < chunk then
        return {len - below, 1}
    end

    down = '(' .. r[#r][1]

    if above + below >= max then
        break
    end
end

if type(rlag) ~= 'number' or rlag < above then
    return {above, 0}
end

if rlag > len - below then
    return {len - below, 0}
end

return {rlag, 0}
