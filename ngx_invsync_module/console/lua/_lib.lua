-- Prepended to every console script by gen_console.pl: small readers
-- shared by the console's pages.  K is the worker key prefix
-- "<p>:{<p>}:", ARGV[1] of every console script.

local K = ARGV[1]

-- a flat HGETALL or XRANGE field list as a table
local function fields(list)
    local t = {}
    for i = 1, #list, 2 do
        t[list[i]] = list[i + 1]
    end
    return t
end

-- JSON text as a value, or the text itself when it is not JSON
local function decoded(s)
    if s == nil or s == '' then
        return s
    end
    local ok, v = pcall(cjson.decode, s)
    if ok then
        return v
    end
    return s
end

-- one stream entry's fields with its id, nil when trimmed away
local function entry(key, id)
    local r = redis.call('XRANGE', key, id, id)
    if #r == 0 then
        return nil
    end
    local e = fields(r[1][2])
    e['id'] = r[1][1]
    return e
end

-- the newest n audit entries of an index (a sorted set of audit ids);
-- an id whose entry was trimmed from the stream is skipped
local function audit(index, n)
    local out = {}
    for _, id in ipairs(redis.call('ZREVRANGE', index, 0, n - 1)) do
        local e = entry(K .. 'audit', id)
        if e then
            out[#out + 1] = e
        end
    end
    return out
end

-- a whole number argument within [lo, hi], else d
local function bounded(s, d, lo, hi)
    local n = tonumber(s)
    if n == nil or n ~= math.floor(n) or n < lo or n > hi then
        return d
    end
    return n
end

-- Redis's cjson writes an empty table as {}: a list goes through list(),
-- and json() writes the empty ones as []
local EMPTY = '\1[]'

local function list(t)
    if #t == 0 then
        return EMPTY
    end
    return t
end

local function json(v)
    return (string.gsub(cjson.encode(v), '"\\u0001%[%]"', '[]'))
end
