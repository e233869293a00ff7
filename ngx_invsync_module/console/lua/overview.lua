-- The overview: workers from their heartbeats (alive as the status page
-- says it), per stream its length, pending entries over every group and
-- the workers' lag, the dead letters, open exceptions, scheduled retries,
-- and per channel its push state and last reconciliation.
--
-- ARGV[1]  K, ARGV[2] the stream key prefix "<p>:", ARGV[3] now (ms)
-- ARGV[4]  n streams, then n stream names, then the channel names

local now = tonumber(ARGV[3])
local nstreams = tonumber(ARGV[4])
local out = { workers = {}, streams = {}, channels = {} }

for _, v in ipairs(redis.call('HVALS', K .. 'workers')) do
    local ok, hb = pcall(cjson.decode, v)
    if ok and type(hb) == 'table' and type(hb['name']) == 'string' then
        local beat = tonumber(hb['heartbeat']) or 0
        local every = tonumber(hb['interval']) or 0
        hb['alive'] = hb['state'] == 'running' and now - beat < 3 * every
        out.workers[#out.workers + 1] = hb
    end
end

for i = 1, nstreams do
    local name = ARGV[4 + i]
    local key = ARGV[2] .. name
    local s = { name = name, length = 0, pending = 0, lag = 0 }
    if redis.call('EXISTS', key) == 1
       and redis.call('TYPE', key)['ok'] == 'stream' then
        s.length = redis.call('XLEN', key)
        for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
            s.pending = s.pending + (fields(g)['pending'] or 0)
        end
    end
    for _, hb in ipairs(out.workers) do
        if hb['alive'] and type(hb['lag']) == 'table' then
            s.lag = math.max(s.lag, tonumber(hb['lag'][name]) or 0)
        end
    end
    out.streams[#out.streams + 1] = s
end

for i = 5 + nstreams, #ARGV do
    local ch = ARGV[i]
    out.channels[#out.channels + 1] = {
        name = ch,
        dirty = redis.call('SCARD', K .. 'dirty:' .. ch),
        forced = redis.call('SCARD', K .. 'force:' .. ch),
        shown = redis.call('HLEN', K .. 'shown:' .. ch),
        reconciling = redis.call('GET', K .. 'reconciling:' .. ch) or '',
        reconcile = fields(redis.call('HGETALL', K .. 'reconcile:' .. ch))
    }
end

out.dead_letters = redis.call('XLEN', K .. 'dlq')
out.exceptions_open = redis.call('ZCARD', K .. 'exceptions:open')
out.retries_scheduled = redis.call('ZCARD', K .. 'retry')

out.workers = list(out.workers)
out.channels = list(out.channels)

return json(out)
