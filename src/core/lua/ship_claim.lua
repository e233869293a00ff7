-- Members claimed on a due set for one request slot each: shipments (K
-- fulfil:due, K track:due) and the orders or returns a channel reader
-- looks up (K refundread:due, K disposeread:due; src/worker/
-- invsync_worker_reader.c).  A member is taken only while it is still due (its
-- score at most now), and its score moves to the lease's end, in one
-- step, so that two slots, or two workers that read the same members,
-- never take one twice.  A claimed shipment whose slot dies (a crash, a
-- killed worker) is due again when its lease ends.
--
-- KEYS[1]  the due set
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the lease's end, Unix ms
-- ARGV[3]  and on: the members wanted, in order
--
-- Returns the members claimed, each followed by the score it had (to put
-- it back where it was, if the caller cannot start it after all).

local now, untl = tonumber(ARGV[1]), ARGV[2]
local out = {}

for i = 3, #ARGV do
    local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if s and tonumber(s) <= now then
        redis.call('ZADD', KEYS[1], 'XX', untl, ARGV[i])
        out[#out + 1] = ARGV[i]
        out[#out + 1] = s
    end
end

return out
