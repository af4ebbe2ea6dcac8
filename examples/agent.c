/*
 * agent.c: a storage agent in C on the cdq-engine C API.
 *
 * Attaches the user data migration queues of 8 simulated migratable
 * controllers, runs a random writer against each, consumes the entries on
 * two threads (one sleeping in cdq_consumer_wait, one polling the
 * consumer's eventfd as an agent with its own event loop would), then stops
 * logging and checks that every change reached a consumer exactly once.
 *
 *   cc -o agent examples/agent.c $(pkg-config --cflags --libs cdq-engine) -pthread
 *   ./agent [seconds] [writes per second per controller]
 *
 * Exit status 0 when every queue's books balance, 1 when not, 2 on an error.
 */
#define _POSIX_C_SOURCE 200809L
#include <cdq_engine.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONTROLLERS 8
#define CONSUMERS 2
#define BATCH 64

/* What one consumer thread saw, per queue (cdq_record.queue is < CONTROLLERS
 * because the engine holds exactly that many). Written only by the thread
 * that owns the queue's consumer; read by main after joining it. */
struct books {
    uint64_t changes[CONTROLLERS];
    uint64_t blocks[CONTROLLERS];
    uint64_t firsts[CONTROLLERS];
    uint64_t lasts[CONTROLLERS];
    uint64_t overflows[CONTROLLERS];
    uint64_t strays; /* records naming a queue this agent did not attach */
};

struct consumer_thread {
    cdq_consumer *consumer;
    int use_eventfd;          /* 1: poll(2) the eventfd; 0: cdq_consumer_wait */
    int queues;               /* queues delivering to this consumer */
    atomic_int lasts_seen;    /* LAST (logging stopped) entries seen */
    atomic_int stop;          /* main gave up waiting */
    struct books *books;
    int error;
};

static void die(const char *what, int rc) {
    fprintf(stderr, "agent: %s: %s (%s)\n", what, strerror(-rc), cdq_last_error());
    exit(2);
}

#define CHECK(call) do { int rc_ = (call); if (rc_ < 0) die(#call, rc_); } while (0)

/* Counts one record in the books; returns 1 for a LAST (logging stopped). */
static int count(struct books *books, const cdq_record *record) {
    uint32_t q = record->queue;
    if (q >= CONTROLLERS) { books->strays++; return 0; }
    /* An overflow, an entry the engine found wrong, a lost queue: changes
     * may be missing, so a real agent resynchronises (here: counted as an overflow). */
    if (record->kind != CDQ_RECORD_ENTRY) { books->overflows[q]++; return 0; }
    switch (cdq_entry_status(record)) {
    case CDQ_ESA_CHANGE:
        books->changes[q]++;
        books->blocks[q] += cdq_entry_blocks(record);
        return 0;
    case CDQ_ESA_FIRST: books->firsts[q]++; return 0;
    case CDQ_ESA_LAST_STOPPED: books->lasts[q]++; return 1;
    default: return 0;
    }
}

/* Pops in place until the ring is empty; returns records seen, or -errno. */
static int64_t drain(struct consumer_thread *self) {
    int64_t total = 0;
    for (;;) {
        const cdq_record *records;
        int64_t n = cdq_consumer_peek(self->consumer, BATCH, &records);
        if (n < 0) return n;
        if (n == 0) return total;
        int lasts = 0;
        for (int64_t i = 0; i < n; i++) lasts += count(self->books, &records[i]);
        int rc = cdq_consumer_release(self->consumer, (size_t)n);
        if (rc < 0) return rc;
        if (lasts) atomic_fetch_add(&self->lasts_seen, lasts);
        total += n;
    }
}

/* Sleeps until records may be waiting: on the eventfd, or in the library. */
static int sleep_for_records(struct consumer_thread *self) {
    if (!self->use_eventfd) {
        int rc = cdq_consumer_wait(self->consumer, 50 * 1000 * 1000);
        return rc < 0 ? rc : 0;
    }
    int armed = cdq_consumer_arm(self->consumer);
    if (armed != 0) return armed < 0 ? armed : 0; /* records already wait */
    struct pollfd pfd = { .fd = cdq_consumer_eventfd(self->consumer), .events = POLLIN };
    if (pfd.fd < 0) return pfd.fd;
    if (poll(&pfd, 1, 50) < 0 && errno != EINTR) return -errno;
    return 0;
}

static void *consume(void *argument) {
    struct consumer_thread *self = argument;
    while (atomic_load(&self->lasts_seen) < self->queues && !atomic_load(&self->stop)) {
        int64_t n = drain(self);
        if (n < 0) { self->error = (int)n; break; }
        if (n == 0) {
            int rc = sleep_for_records(self);
            if (rc < 0) { self->error = rc; break; }
        }
    }
    if (!self->error) {
        int64_t n = drain(self); /* anything after the last LAST would be a bug: count it */
        if (n < 0) self->error = (int)n;
    }
    return NULL;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    double rate = argc > 2 ? atof(argv[2]) : 5000.0;
    if (seconds <= 0 || rate < 0) { fprintf(stderr, "usage: agent [seconds] [writes/s per controller]\n"); return 2; }
    printf("agent: cdq-engine %s (header %d.%d.%d)\n", cdq_version_string(), CDQ_ENGINE_VERSION_MAJOR,
           CDQ_ENGINE_VERSION_MINOR, CDQ_ENGINE_VERSION_PATCH);
    if ((cdq_version() >> 16) != CDQ_ENGINE_VERSION_MAJOR || cdq_version() < CDQ_ENGINE_VERSION) {
        fprintf(stderr, "agent: library %s is not compatible with this header\n", cdq_version_string());
        return 2;
    }

    cdq_simulator_config sim_config;
    cdq_simulator_config_init(&sim_config);
    sim_config.controllers = CONTROLLERS;
    sim_config.namespace_blocks = 1u << 21;
    cdq_simulator *simulator;
    CHECK(cdq_simulator_create(&sim_config, &simulator));

    cdq_engine_config config;
    cdq_engine_config_init(&config);
    config.max_queues = CONTROLLERS;
    cdq_engine *engine;
    CHECK(cdq_engine_create(&config, &engine));

    static struct books books[CONSUMERS];
    struct consumer_thread threads[CONSUMERS];
    for (int c = 0; c < CONSUMERS; c++) {
        threads[c] = (struct consumer_thread){ .use_eventfd = c == 1, .queues = CONTROLLERS / CONSUMERS, .books = &books[c] };
        CHECK(cdq_consumer_create(16384, &threads[c].consumer));
    }

    cdq_queue *queues[CONTROLLERS];
    cdq_queue_info info[CONTROLLERS];
    for (int i = 0; i < CONTROLLERS; i++) {
        CHECK(cdq_queue_attach_simulated(engine, threads[i % CONSUMERS].consumer, simulator, (uint16_t)(i + 1),
                                         4096, 0, &queues[i]));
        info[i].size = sizeof info[i];
        CHECK(cdq_queue_info_get(queues[i], &info[i]));
    }

    pthread_t tids[CONSUMERS];
    for (int c = 0; c < CONSUMERS; c++)
        if (pthread_create(&tids[c], NULL, consume, &threads[c]) != 0) { perror("pthread_create"); return 2; }

    cdq_writer_config writers;
    cdq_writer_config_init(&writers);
    writers.writes_per_second = rate;
    writers.seed = 42;
    double start = now_seconds();
    CHECK(cdq_simulator_start_writers(simulator, &writers));
    struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
    while (now_seconds() - start < seconds) nanosleep(&tick, NULL);
    CHECK(cdq_simulator_stop_writers(simulator));

    /* Stop logging: each queue's LAST entry follows every change it logged. */
    int failures = 0;
    for (int i = 0; i < CONTROLLERS; i++) {
        int rc = cdq_queue_stop_logging_and_detach(queues[i], -1);
        if (rc < 0) { fprintf(stderr, "agent: stop logging on controller %d: %s\n", i + 1, cdq_last_error()); failures++; }
    }
    double elapsed = now_seconds() - start;
    for (int c = 0; c < CONSUMERS; c++) {
        atomic_store(&threads[c].stop, failures > 0);
        pthread_join(tids[c], NULL);
        if (threads[c].error) { fprintf(stderr, "agent: consumer %d: %s\n", c, cdq_last_error()); failures++; }
    }

    cdq_engine_stats stats = { .size = sizeof stats };
    CHECK(cdq_engine_stats_get(engine, &stats));
    /* Everything the engine counts, in the struct that grows by version. */
    cdq_engine_statistics statistics = { .size = sizeof statistics };
    CHECK(cdq_engine_statistics_get(engine, &statistics));
    if (statistics.version < 1 || statistics.totals.entries != stats.totals.entries || statistics.problems != 0 ||
        statistics.queue_losses != 0 || statistics.queues != 0) {
        printf("agent: engine statistics disagree: version %u, %llu entries (%llu), %llu problems, %llu queues lost\n",
               statistics.version, (unsigned long long)statistics.totals.entries,
               (unsigned long long)stats.totals.entries, (unsigned long long)statistics.problems,
               (unsigned long long)statistics.queue_losses);
        failures++;
    }

    printf("cntlid cdqid queue consumer   produced  delivered     blocks  first last overflow lost result\n");
    uint64_t produced_total = 0, delivered_total = 0;
    for (int i = 0; i < CONTROLLERS; i++) {
        cdq_writer_stats w = { .size = sizeof w };
        CHECK(cdq_simulator_writer_stats(simulator, info[i].cntlid, &w));
        struct books *b = &books[i % CONSUMERS];
        uint32_t q = info[i].index;
        int ok = q < CONTROLLERS && w.errors == 0 && w.lost == 0 && b->changes[q] == w.operations &&
                 b->blocks[q] == w.blocks && b->firsts[q] == 1 && b->lasts[q] == 1 && b->overflows[q] == 0;
        /* The other consumer must have seen nothing of this queue. */
        struct books *other = &books[(i + 1) % CONSUMERS];
        if (q < CONTROLLERS && (other->changes[q] || other->firsts[q] || other->lasts[q])) ok = 0;
        if (!ok) failures++;
        produced_total += w.operations;
        delivered_total += q < CONTROLLERS ? b->changes[q] : 0;
        printf("%6u %5u %5u %8d %10llu %10llu %10llu %5llu %4llu %8llu %4llu %s\n", info[i].cntlid, info[i].cdqid, q,
               i % CONSUMERS, (unsigned long long)w.operations, (unsigned long long)b->changes[q],
               (unsigned long long)b->blocks[q], (unsigned long long)b->firsts[q], (unsigned long long)b->lasts[q],
               (unsigned long long)b->overflows[q], (unsigned long long)w.lost, ok ? "exactly once" : "MISMATCH");
    }
    if (books[0].strays || books[1].strays) { printf("records of unknown queues: %llu\n", (unsigned long long)(books[0].strays + books[1].strays)); failures++; }
    printf("total: %llu produced, %llu delivered in %.2f s; engine: %llu wake-ups, %llu head updates, "
           "%llu loop turns, wake-up to ring p50 %.1f us p99 %.1f us\n",
           (unsigned long long)produced_total, (unsigned long long)delivered_total, elapsed,
           (unsigned long long)stats.totals.wakeups, (unsigned long long)stats.totals.head_updates,
           (unsigned long long)stats.turns, stats.latency_p50_us, stats.latency_p99_us);

    for (int i = 0; i < CONTROLLERS; i++) CHECK(cdq_queue_destroy(queues[i]));
    for (int c = 0; c < CONSUMERS; c++) CHECK(cdq_consumer_destroy(threads[c].consumer));
    CHECK(cdq_engine_destroy(engine));
    CHECK(cdq_simulator_destroy(simulator));
    if (produced_total == 0) { printf("agent: the writers produced nothing\n"); failures++; }
    printf("agent: %s\n", failures ? "MISMATCH" : "every change delivered exactly once");
    return failures ? 1 : 0;
}
