-- An exception's cause delivered again, as invsyncctl exceptions retry
-- does it: a copy of the stream entry that raised it (but an earlier
-- replay_of or retry_of) added to its stream with retry_of = the
-- exception.  exc_retry.lua then notes it on the exception.
--
-- ARGV[1]  K, ARGV[2] the stream key prefix "<p>:", ARGV[3] exception id
-- ARGV[4]  and on: the streams a cause may come from
--
-- Returns {'gone'}, {'resolved', by, why}, {'stream', name} (not one of
-- ARGV[4..]), {'trimmed'} (the cause is no longer in its stream), else
-- {'ok', new entry id, channel, event, order, kind, stream, entry}.

local id = ARGV[3]
local e = fields(redis.call('HGETALL', K .. 'exception:' .. id))

if e['id'] == nil then
    return { 'gone' }
end

if e['state'] == 'resolved' then
    return { 'resolved', e['resolved_by'] or '', e['resolution'] or '' }
end

local stream, known = e['stream'] or '', false
for i = 4, #ARGV do
    known = known or ARGV[i] == stream
end

if not known then
    return { 'stream', stream }
end

local key = ARGV[2] .. stream
local ok, r = pcall(redis.call, 'XRANGE', key, e['entry'], e['entry'])

if not ok or #r ~= 1 then
    return { 'trimmed' }
end

local copy = {}
local f = r[1][2]
for i = 1, #f, 2 do
    if f[i] ~= 'replay_of' and f[i] ~= 'retry_of' then
        copy[#copy + 1] = f[i]
        copy[#copy + 1] = f[i + 1]
    end
end
copy[#copy + 1] = 'retry_of'
copy[#copy + 1] = id

local new = redis.call('XADD', key, '*', unpack(copy))
local order = ''
if e['order'] and e['order'] ~= '' then
    order = (e['channel'] or '') .. ':' .. e['order']
end

return { 'ok', new, e['channel'] or '', e['event'] or '', order,
         e['kind'] or '', stream, e['entry'] }
