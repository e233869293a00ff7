-- A dead letter retried or dropped, as invsyncctl dlq retry and drop do
-- it.  A retry adds the envelope back to its stream (v 1, the envelope's
-- fields, retry_of = the letter) and then deletes the letter; a drop
-- deletes it.  In one script, so that two operators acting on one
-- letter at once act once.
--
-- ARGV[1]  K, ARGV[2] the stream key prefix "<p>:", ARGV[3] letter id
-- ARGV[4]  "retry" or "drop", ARGV[5] and on: the streams a letter may
--          go back to
--
-- Returns {'gone'}, {'stream', name}, else {'ok', new entry id ("" for
-- a drop), stream, entry, channel, event, topic, reason}.

local e = entry(K .. 'dlq', ARGV[3])

if e == nil then
    return { 'gone' }
end

local stream, new = e['stream'] or '', ''

if ARGV[4] == 'retry' then
    local known = false
    for i = 5, #ARGV do
        known = known or ARGV[i] == stream
    end

    if not known then
        return { 'stream', stream }
    end

    local env = { 'v', '1' }
    for _, k in ipairs({ 'channel', 'scheme', 'account', 'topic', 'event',
                         'received', 'body' }) do
        env[#env + 1] = k
        env[#env + 1] = e[k] or ''
    end
    env[#env + 1] = 'retry_of'
    env[#env + 1] = ARGV[3]

    new = redis.call('XADD', ARGV[2] .. stream, '*', unpack(env))
end

redis.call('XDEL', K .. 'dlq', ARGV[3])

return { 'ok', new, stream, e['entry'] or '', e['channel'] or '',
         e['event'] or '', e['topic'] or '', e['reason'] or '' }
