-- Forget the workers not heard from for limits.worker_forget_s: their
-- heartbeat fields leave <p>:{<p>}:workers.  Read and removed in one
-- script, so that a worker restarted under the same name in between
-- keeps its fresh heartbeat.  Unreadable fields stay (invsyncctl status
-- shows them).
--
-- KEYS[1]  <p>:{<p>}:workers
-- ARGV[1]  now, Unix ms
-- ARGV[2]  forget after, ms
--
-- Returns the names forgotten.

local gone = {}
local all = redis.call('HGETALL', KEYS[1])
local before = tonumber(ARGV[1]) - tonumber(ARGV[2])

for i = 1, #all, 2 do
    local ok, hb = pcall(cjson.decode, all[i + 1])

    if ok and type(hb) == 'table' and type(hb['heartbeat']) == 'number'
       and hb['heartbeat'] < before
    then
        redis.call('HDEL', KEYS[1], all[i])
        gone[#gone + 1] = all[i]
    end
end

return gone
