-- A refund's journal entries written, each exactly once by its cause:
-- however often the refund is delivered, replayed or run in parallel,
-- the first call to see a cause writes its entry and every later one
-- finds its done key (docs/journal.md).
--
-- KEYS[1]  the journal stream
-- ARGV[1]  the worker key prefix "<p>:{<p>}:"
-- ARGV[2]  the source, "<channel>:<event>"
-- ARGV[3]  and on: cause, date, lines (JSON) triples, one per entry
--
-- The done key (done:journal:<cause>) holds the entry's stream id and is
-- kept for good: an accountant's record is never written twice, even by
-- a replay months later.  Returns {written, already}.

local K = ARGV[1]

if #ARGV < 2 or (#ARGV - 2) % 3 ~= 0 then
    return redis.error_reply('journal: needs a prefix, a source and '
                             .. 'cause, date, lines triples')
end

local written, already = 0, 0

for i = 3, #ARGV, 3 do
    local done = K .. 'done:journal:' .. ARGV[i]

    if redis.call('EXISTS', done) == 1 then
        already = already + 1
    else
        local id = redis.call('XADD', KEYS[1], '*', 'cause', ARGV[i],
                              'date', ARGV[i + 1], 'source', ARGV[2],
                              'lines', ARGV[i + 2])
        redis.call('SET', done, id)
        written = written + 1
    end
end

return {written, already}
