-- A page of dead letters, newest first.  The body is never sent: only
-- its length.
--
-- ARGV[1]  K, ARGV[2] cursor (the last id of the page before, "" first)
-- ARGV[3]  page size

local limit = bounded(ARGV[3], 25, 1, 200)
local top = ARGV[2] == '' and '+' or '(' .. ARGV[2]
local rows = {}

for _, r in ipairs(redis.call('XREVRANGE', K .. 'dlq', top, '-',
                              'COUNT', limit + 1)) do
    if #rows == limit then
        return json({ rows = list(rows), total = redis.call('XLEN',
                              K .. 'dlq'), next = rows[#rows]['id'] })
    end
    local f = fields(r[2])
    rows[#rows + 1] = {
        id = r[1], stream = f['stream'], entry = f['entry'],
        channel = f['channel'], topic = f['topic'], event = f['event'],
        reason = f['reason'], attempts = tonumber(f['attempts']),
        failed = tonumber(f['failed']), body_bytes = #(f['body'] or '')
    }
end

return json({ rows = list(rows), total = redis.call('XLEN', K .. 'dlq'),
                      next = false })
