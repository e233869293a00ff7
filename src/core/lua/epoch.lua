-- The deployment's epoch: which Redis this is, so that one that came back
-- empty (restarted without persistence, a failover to a replica that had
-- not caught up, FLUSHALL) is told from the one invsync wrote to
-- (docs/keys.md, "The epoch").  Called by the nginx module on each
-- connection, by the worker at its session and each heartbeat, and by
-- invsyncctl epoch.
--
-- KEYS[1]    the epoch, <prefix>:{<prefix>}:epoch
-- KEYS[2..]  markers of the streams the caller writes,
--            <prefix>:{<prefix>:<stream>}:epoch, which the ingest script
--            checks on every write
-- ARGV[1]    'create': the epoch, made ARGV[2] if there is none
--            'check':  the epoch, which the caller expects to be ARGV[2]
--            'adopt':  the epoch, if there is one
--            'reset':  the epoch made ARGV[2], whatever it was
-- ARGV[2]    a new random epoch (create, reset), the one remembered (check)
--
-- Answers the epoch Redis holds after the call, or nil if it holds none.
-- The markers are set to it in the same call, and only when the caller
-- goes on with it (not for a check that finds another or none): so a
-- marker is never written into a Redis that has lost its epoch.  The keys
-- are in several cluster slots: invsync speaks to one Redis server.

local mode, want = ARGV[1], ARGV[2]
local cur = redis.call('GET', KEYS[1])

if mode == 'reset' or (mode == 'create' and not cur) then
    redis.call('SET', KEYS[1], want)
    cur = want
end

if not cur or (mode == 'check' and cur ~= want) then
    return cur
end

for i = 2, #KEYS do
    redis.call('SET', KEYS[i], cur)
end

return cur
