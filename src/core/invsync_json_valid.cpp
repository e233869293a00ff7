
/*
 * The JSON well-formedness check of every ingested body, for the schemes
 * that take nothing from it (CONTRACT section 3: "body not JSON" is a
 * 400).  It runs once per webhook inside nginx, so its speed is the
 * module's: yajl took 4.6 us for a 1.5 KB order and 18 % of the nginx
 * worker's CPU under load; simdjson validates the same body (structure,
 * numbers, escapes, UTF-8) in about 1.2 us.  Like json_loadb() without
 * JSON_DECODE_ANY, only an object or an array passes.
 *
 * One parser per process, reused: its buffers are allocated once and
 * grow to the largest body seen, up to INVSYNC_JSON_KEEP; a larger body
 * gets a parser of its own, freed at once.  nginx workers and
 * invsync-worker are single-threaded.  No exception leaves this file: C
 * callers cannot take one.
 */


#include <cstddef>
#include <new>

#include <simdjson.h>

extern "C" {
#include "invsync.h"
}


#define INVSYNC_JSON_KEEP  (256 * 1024)


static simdjson::dom::parser  *invsync_json_parser;


static int
invsync_json_parse_ok(simdjson::dom::parser &parser, const unsigned char *body,
    size_t len)
{
    /* true: simdjson reads up to SIMDJSON_PADDING bytes past the end, so
     * it copies the body into a padded buffer of its own first */
    return parser.parse(reinterpret_cast<const char *>(body), len, true)
               .error()
           == simdjson::SUCCESS;
}


extern "C" int
invsync_json_valid(const unsigned char *body, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n'
            && body[i] != '\r')
        {
            break;
        }
    }

    if (i == len || (body[i] != '{' && body[i] != '[')) {
        return 0;
    }

    try {
        if (len > INVSYNC_JSON_KEEP) {
            simdjson::dom::parser  once;

            return invsync_json_parse_ok(once, body, len);
        }

        if (invsync_json_parser == nullptr) {
            invsync_json_parser = new simdjson::dom::parser();
        }

        return invsync_json_parse_ok(*invsync_json_parser, body, len);

    } catch (...) {
        /* std::bad_alloc: not known to be JSON, and the caller says so */
        return 0;
    }
}


/* the kept parser, at process exit: nginx unmaps the module after */

extern "C" void
invsync_json_cleanup(void)
{
    delete invsync_json_parser;
    invsync_json_parser = nullptr;
}
