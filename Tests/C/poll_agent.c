/*
 * poll_agent.c: a storage agent that drives a run-to-completion engine from
 * its own thread (cdq_engine_poll) and counts records in the inline
 * handler: no consumer thread. 16 simulated migratable controllers with
 * random writers, one small consumer ring (so queues stall and resume),
 * then stop logging and check that every change arrived exactly once.
 *
 *   ./poll_agent [seconds] [writes per second per controller]
 *
 * Exit status 0 when every queue's books balance, 1 when not, 2 on an error.
 */
#define _POSIX_C_SOURCE 200809L
#include <cdq_engine.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONTROLLERS 16

/* Per engine slot (cdq_record.queue is < CONTROLLERS: the engine holds that many). */
struct books {
    uint64_t changes[CONTROLLERS];
    uint64_t blocks[CONTROLLERS];
    uint64_t firsts[CONTROLLERS];
    uint64_t lasts[CONTROLLERS];
    uint64_t others[CONTROLLERS]; /* overflow, problem, lost queue: must stay 0 */
    uint64_t strays;
    uint64_t calls;
};

static void die(const char *what, long long rc) {
    fprintf(stderr, "poll_agent: %s: %s (%s)\n", what, strerror((int)-rc), cdq_last_error());
    exit(2);
}

#define CHECK(call) do { long long rc_ = (call); if (rc_ < 0) die(#call, rc_); } while (0)

/* The inline handler: runs on the thread inside cdq_engine_poll. */
static void take(void *context, const cdq_record *records, size_t count) {
    struct books *books = context;
    books->calls++;
    for (size_t i = 0; i < count; i++) {
        const cdq_record *record = &records[i];
        uint32_t q = record->queue;
        if (q >= CONTROLLERS) { books->strays++; continue; }
        if (record->kind != CDQ_RECORD_ENTRY) { books->others[q]++; continue; }
        switch (cdq_entry_status(record)) {
        case CDQ_ESA_CHANGE: books->changes[q]++; books->blocks[q] += cdq_entry_blocks(record); break;
        case CDQ_ESA_FIRST: books->firsts[q]++; break;
        case CDQ_ESA_LAST_STOPPED: books->lasts[q]++; break;
        default: books->others[q]++; break;
        }
    }
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    double rate = argc > 2 ? atof(argv[2]) : 5000.0;
    if (seconds <= 0 || rate < 0) { fprintf(stderr, "usage: poll_agent [seconds] [writes/s per controller]\n"); return 2; }

    cdq_simulator_config sim_config;
    cdq_simulator_config_init(&sim_config);
    sim_config.controllers = CONTROLLERS;
    sim_config.namespace_blocks = 1u << 21;
    cdq_simulator *simulator;
    CHECK(cdq_simulator_create(&sim_config, &simulator));

    static struct books books;
    cdq_engine_config config;
    cdq_engine_config_init(&config);
    config.max_queues = CONTROLLERS;
    cdq_engine *engine;
    CHECK(cdq_engine_create_run_to_completion(&config, take, &books, &engine));
    cdq_consumer *consumer;
    CHECK(cdq_consumer_create(64, &consumer));

    /* Attaching waits for Track Send: on this thread, it polls meanwhile. */
    cdq_queue *queues[CONTROLLERS];
    cdq_queue_info info[CONTROLLERS];
    for (int i = 0; i < CONTROLLERS; i++) {
        CHECK(cdq_queue_attach_simulated(engine, consumer, simulator, (uint16_t)(i + 1), 4096, 0, &queues[i]));
        info[i].size = sizeof info[i];
        CHECK(cdq_queue_info_get(queues[i], &info[i]));
    }

    cdq_writer_config writers;
    cdq_writer_config_init(&writers);
    writers.writes_per_second = rate;
    writers.seed = 7;
    double start = now_seconds();
    CHECK(cdq_simulator_start_writers(simulator, &writers));
    int64_t handed = 0;
    while (now_seconds() - start < seconds) {
        int64_t n = cdq_engine_poll(engine, 10 * 1000 * 1000);
        CHECK(n);
        handed += n;
    }
    CHECK(cdq_simulator_stop_writers(simulator));

    /* Each queue's LAST follows every change it logged; waiting for it polls. */
    int failures = 0;
    for (int i = 0; i < CONTROLLERS; i++) {
        int rc = cdq_queue_stop_logging_and_detach(queues[i], -1);
        if (rc < 0) { fprintf(stderr, "poll_agent: stop logging on controller %d: %s\n", i + 1, cdq_last_error()); failures++; }
    }

    cdq_engine_stats stats = { .size = sizeof stats };
    CHECK(cdq_engine_stats_get(engine, &stats));
    uint64_t produced = 0, delivered = 0;
    for (int i = 0; i < CONTROLLERS; i++) {
        cdq_writer_stats w = { .size = sizeof w };
        CHECK(cdq_simulator_writer_stats(simulator, info[i].cntlid, &w));
        uint32_t q = info[i].index;
        int ok = q < CONTROLLERS && w.errors == 0 && w.lost == 0 && books.changes[q] == w.operations &&
                 books.blocks[q] == w.blocks && books.firsts[q] == 1 && books.lasts[q] == 1 && books.others[q] == 0;
        if (!ok) {
            printf("controller %u: produced %llu, delivered %llu, first %llu, last %llu, other %llu, lost %llu: MISMATCH\n",
                   info[i].cntlid, (unsigned long long)w.operations, (unsigned long long)(q < CONTROLLERS ? books.changes[q] : 0),
                   (unsigned long long)books.firsts[q % CONTROLLERS], (unsigned long long)books.lasts[q % CONTROLLERS],
                   (unsigned long long)books.others[q % CONTROLLERS], (unsigned long long)w.lost);
            failures++;
        }
        produced += w.operations;
        delivered += q < CONTROLLERS ? books.changes[q] : 0;
    }
    if (books.strays) { printf("records of unknown queues: %llu\n", (unsigned long long)books.strays); failures++; }
    if (produced == 0) { printf("poll_agent: the writers produced nothing\n"); failures++; }
    printf("poll_agent: %llu produced, %llu delivered in %llu handler calls (%lld during the run), "
           "%llu ring-full stalls, %llu loop turns\n",
           (unsigned long long)produced, (unsigned long long)delivered, (unsigned long long)books.calls,
           (long long)handed, (unsigned long long)stats.totals.ring_full_stalls, (unsigned long long)stats.turns);

    for (int i = 0; i < CONTROLLERS; i++) CHECK(cdq_queue_destroy(queues[i]));
    CHECK(cdq_consumer_destroy(consumer));
    CHECK(cdq_engine_destroy(engine));
    CHECK(cdq_simulator_destroy(simulator));
    printf("poll_agent: %s\n", failures ? "MISMATCH" : "every change delivered exactly once, inline");
    return failures ? 1 : 0;
}
