-- Store webhook events, each at most once, atomically: one call carries
-- the events a module worker accepted for one stream in one turn.
--
-- KEYS[1]    stream <prefix>:<stream>
-- KEYS[1+i]  idempotency key of event i, <prefix>:{<prefix>:<stream>}:idem:...
--            (in the stream's cluster slot: see the hash tag)
-- KEYS[n+2]  the stream's epoch marker, <prefix>:{<prefix>:<stream>}:epoch
-- ARGV[1]    lifetime of the idempotency keys, seconds
-- ARGV[2]    the epoch the caller verified when it connected
-- ARGV[...]  seven values per event, in order: received (Unix ms), channel,
--            scheme, account, topic, event id, body
--
-- A marker that is not the caller's epoch means Redis lost its data since
-- the caller looked (FLUSHALL keeps connections): the whole call is
-- refused with an EPOCH error, nothing written, so that no event is
-- acknowledged into a Redis that no worker reads (epoch.lua).
--
-- An idempotency key holds the time its event was first received.  The
-- entry's field names are written here, not sent: every argument costs
-- Redis an object and a Lua string.  Answers one element per event: 0 for
-- a duplicate, the new entry's id, or the error that refused it.  Redis
-- does not roll a script back: if an XADD fails (a key of the wrong type,
-- no memory), its key is removed again so that the sender's retry is not
-- taken for a duplicate; the other events of the call are not affected.

local stream, ttl, last = KEYS[1], ARGV[1], #KEYS - 1
local out = {}

if redis.call('GET', KEYS[#KEYS]) ~= ARGV[2] then
    return redis.error_reply('EPOCH stream marker missing or changed: '
                             .. 'redis lost its data')
end

for i = 2, last do
    local a = (i - 2) * 7 + 2
    local set = redis.pcall('SET', KEYS[i], ARGV[a + 1],
                            'NX', 'EX', ttl)

    if not set then
        out[i - 1] = 0
    elseif set.err then
        out[i - 1] = set
    else
        local id = redis.pcall('XADD', stream, '*', 'v', '1',
                               'channel', ARGV[a + 2],
                               'scheme', ARGV[a + 3],
                               'account', ARGV[a + 4],
                               'topic', ARGV[a + 5],
                               'event', ARGV[a + 6],
                               'received', ARGV[a + 1],
                               'body', ARGV[a + 7])

        if type(id) == 'table' and id.err then
            redis.call('DEL', KEYS[i])
        end

        out[i - 1] = id
    end
end

return out
