
/*
 * invsync-worker: consumes the invsync streams and acts on each event.
 *
 *     invsync-worker -c worker.json       run
 *     invsync-worker -t -c worker.json    check the configuration, exit
 *
 * SIGTERM and SIGINT stop after the batch in hand (what is not acknowledged
 * stays pending for the next worker); SIGHUP reloads the configuration.
 */


#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "invsync_runtime.h"
#include "invsync_worker_fulfil.h"


volatile sig_atomic_t  invsync_stop;
volatile sig_atomic_t  invsync_reload;


static void invsync_on_signal(int sig);
static void invsync_usage(FILE *out);
static int invsync_session(invsync_worker_t *w);
static void invsync_sleep_ms(long ms);


int
main(int argc, char **argv)
{
    int               opt, test, rc;
    long              backoff;
    char              err[INVSYNC_ERR_LEN];
    const char       *file;
    invsync_conf_t   *conf, *fresh;
    invsync_worker_t  w;
    struct sigaction  sa;

    file = NULL;
    test = 0;

    while ((opt = getopt(argc, argv, "c:th")) != -1) {
        switch (opt) {
        case 'c':
            file = optarg;
            break;
        case 't':
            test = 1;
            break;
        case 'h':
            invsync_usage(stdout);
            return 0;
        default:
            invsync_usage(stderr);
            return 1;
        }
    }

    if (file == NULL) {
        invsync_usage(stderr);
        return 1;
    }

    conf = invsync_conf_load(file, err, sizeof(err));

    if (conf == NULL) {
        fprintf(stderr, "invsync-worker: %s\n", err);
        return 1;
    }

    if (test) {
        printf("invsync-worker: the configuration file %s is valid\n", file);
        invsync_conf_free(conf);
        return 0;
    }

    invsync_log_init(conf->log_level);
    srandom((unsigned) (time(NULL) ^ getpid()));

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "invsync-worker: curl_global_init() failed\n");
        invsync_conf_free(conf);
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = invsync_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&w, 0, sizeof(invsync_worker_t));
    w.conf = conf;
    w.started_ms = invsync_now_ms();

    /* one multi for every request to a channel: pushes, reads, polls */
    w.multi = curl_multi_init();

    if (w.multi == NULL) {
        fprintf(stderr, "invsync-worker: curl_multi_init() failed\n");
        invsync_conf_free(conf);
        curl_global_cleanup();
        return 1;
    }

    if (invsync_push_init(&w, err, sizeof(err)) != 0
        || invsync_poll_init(&w, err, sizeof(err)) != 0
        || invsync_track_init(&w, err, sizeof(err)) != 0
        || invsync_refund_out_init(&w, err, sizeof(err)) != 0
        || invsync_refunds_init(&w, err, sizeof(err)) != 0
        || invsync_dispose_init(&w, err, sizeof(err)) != 0
        || invsync_fulfil_init(&w, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "invsync-worker: %s\n", err);
        invsync_push_free(&w);
        curl_multi_cleanup(w.multi);
        invsync_conf_free(conf);
        curl_global_cleanup();
        return 1;
    }

    invsync_log(INVSYNC_LOG_INFO, "starting",
                json_pack("{s:s, s:s, s:s, s:i}", "config", file,
                          "group", conf->group, "consumer", conf->consumer,
                          "streams", (int) conf->nstreams));

    backoff = 100;

    while (!invsync_stop) {

        if (invsync_reload) {
            invsync_reload = 0;
            fresh = invsync_conf_load(file, err, sizeof(err));

            if (fresh == NULL) {
                invsync_log(INVSYNC_LOG_ERROR, "reload refused, keeping the "
                            "running configuration",
                            json_pack("{s:s}", "err", err));

            } else {
                /* the consumer keeps its name: its pending entries stay its */
                free(fresh->consumer);
                fresh->consumer = strdup(conf->consumer);
                /* pushes in flight go back to their dirty sets first */
                invsync_push_free(&w);
                invsync_track_free(&w);
                invsync_refund_out_free(&w);
                invsync_refunds_free(&w);
                invsync_dispose_free(&w);
                invsync_fulfil_free(&w);
                invsync_redis_close(&w);
                invsync_poll_free(&w);
                invsync_conf_free(conf);
                conf = fresh;
                w.conf = conf;

                if (invsync_fulfil_init(&w, err, sizeof(err)) != 0
                    || invsync_push_init(&w, err, sizeof(err)) != 0)
                {
                    invsync_log(INVSYNC_LOG_ERROR, "no channel pushes",
                                json_pack("{s:s}", "err", err));
                }

                if (invsync_track_init(&w, err, sizeof(err)) != 0) {
                    invsync_log(INVSYNC_LOG_ERROR, "no tracking pushes",
                                json_pack("{s:s}", "err", err));
                }

                if (invsync_refund_out_init(&w, err, sizeof(err)) != 0) {
                    invsync_log(INVSYNC_LOG_ERROR, "no channel refunds",
                                json_pack("{s:s}", "err", err));
                }

                if (invsync_refunds_init(&w, err, sizeof(err)) != 0) {
                    invsync_log(INVSYNC_LOG_ERROR, "no refund reads",
                                json_pack("{s:s}", "err", err));
                }

                if (invsync_dispose_init(&w, err, sizeof(err)) != 0) {
                    invsync_log(INVSYNC_LOG_ERROR, "no disposition reads",
                                json_pack("{s:s}", "err", err));
                }

                if (invsync_poll_init(&w, err, sizeof(err)) != 0) {
                    invsync_log(INVSYNC_LOG_ERROR, "no order backfill",
                                json_pack("{s:s}", "err", err));
                }

                invsync_log_init(conf->log_level);
                invsync_log(INVSYNC_LOG_INFO, "configuration reloaded",
                            json_pack("{s:s}", "config", file));
            }
        }

        if (w.redis == NULL) {
            rc = invsync_session(&w);

            if (rc != 0) {
                invsync_sleep_ms(backoff / 2 + random() % (backoff / 2 + 1));
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
                continue;
            }

            backoff = 100;
        }

        /* redis lost its data: nothing is done until the epoch is back */
        if (w.halted != NULL) {
            invsync_worker_halted_turn(&w);
            continue;
        }

        (void) invsync_consumer_run_once(&w);
    }

    invsync_consumer_heartbeat(&w, 1);
    invsync_log(INVSYNC_LOG_INFO, "stopped",
                json_pack("{s:I, s:I, s:i, s:i}",
                          "read", (json_int_t) w.counters.read,
                          "applied", (json_int_t) w.counters.applied,
                          "latency_p50_ms",
                          (int) invsync_latency_percentile(&w.latency, 0.50),
                          "latency_p99_ms",
                          (int) invsync_latency_percentile(&w.latency,
                                                           0.99)));

    invsync_push_free(&w);
    invsync_track_free(&w);
    invsync_refund_out_free(&w);
    invsync_refunds_free(&w);
    invsync_dispose_free(&w);
    invsync_fulfil_free(&w);
    invsync_redis_close(&w);
    invsync_poll_free(&w);
    curl_multi_cleanup(w.multi);
    invsync_conf_free(conf);
    invsync_crypto_cleanup();
    curl_global_cleanup();

    return 0;
}


/*
 * Connect, check the epoch, create the groups, load the scripts, take back
 * own entries.  A Redis that lost its data gets no groups: the session
 * stays, halted (invsync_worker_epoch.c).
 */

static int
invsync_session(invsync_worker_t *w)
{
    int   rc;
    char  err[INVSYNC_ERR_LEN];

    if (invsync_redis_connect(w, err, sizeof(err)) != 0) {
        invsync_log(INVSYNC_LOG_ERROR, "redis session failed, retrying",
                    json_pack("{s:s}", "err", err));
        invsync_redis_close(w);
        return -1;
    }

    rc = invsync_worker_epoch(w);

    if (rc < 0) {
        invsync_redis_close(w);
        return -1;
    }

    if (rc > 0) {
        w->next_heartbeat_ms = 0;
        return 0;
    }

    if (invsync_consumer_setup(w, err, sizeof(err)) != 0) {
        invsync_log(INVSYNC_LOG_ERROR, "redis session failed, retrying",
                    json_pack("{s:s}", "err", err));
        invsync_redis_close(w);
        return -1;
    }

    /* for the console: what each channel's rules are (a reload begins a
     * new session, so the rules written are the running ones) */
    if (invsync_stock_rules_publish(w) != 0) {
        return -1;
    }

    invsync_log(INVSYNC_LOG_INFO, "redis session ready", NULL);

    return 0;
}


static void
invsync_on_signal(int sig)
{
    if (sig == SIGHUP) {
        invsync_reload = 1;

    } else {
        invsync_stop = 1;
    }
}


static void
invsync_sleep_ms(long ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;

    (void) nanosleep(&ts, NULL);
}


static void
invsync_usage(FILE *out)
{
    fprintf(out,
            "usage: invsync-worker [-t] -c worker.json\n"
            "  -c FILE  the configuration (docs/worker.md)\n"
            "  -t       check the configuration and exit: 0 valid, 1 not\n");
}
