/*
 * bad_input.c: every function of include/cdq_engine.h fed bad input (NULL
 * handles and pointers, destroyed and foreign handles, wrong states, wrong
 * struct sizes) must return the documented negative errno with a message,
 * and never crash. Built and run under AddressSanitizer by `make test-c`,
 * so a use-after-free or overrun in the library fails the run too.
 */
#define _POSIX_C_SOURCE 200809L
#include <cdq_engine.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

static int failures;
static int checks;

static void expect_rc(long long got, long long want, const char *what, int line) {
    checks++;
    if (got == want) {
        /* A failure must leave a message; success may leave anything. */
        if (want < 0 && cdq_last_error()[0] == '\0') {
            printf("FAIL line %d: %s returned %lld but left no message\n", line, what, got);
            failures++;
        }
        return;
    }
    printf("FAIL line %d: %s returned %lld, expected %lld (%s)\n", line, what, got, want, cdq_last_error());
    failures++;
}

static void expect_true(int condition, const char *what, int line) {
    checks++;
    if (!condition) { printf("FAIL line %d: %s\n", line, what); failures++; }
}

#define EXPECT(call, want) expect_rc((long long)(call), (long long)(want), #call, __LINE__)
#define TRUE(condition) expect_true((condition), #condition, __LINE__)

static void *fresh_thread_error(void *unused) {
    (void)unused;
    return (void *)(cdq_last_error()[0] == '\0' ? "" : "stale");
}

static void version_and_errors(void) {
    TRUE(cdq_version() == CDQ_ENGINE_VERSION);
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", CDQ_ENGINE_VERSION_MAJOR, CDQ_ENGINE_VERSION_MINOR,
             CDQ_ENGINE_VERSION_PATCH);
    TRUE(strcmp(cdq_version_string(), expected) == 0);
    TRUE(cdq_last_error() != NULL);
    TRUE(sizeof(cdq_record) == 40);
    /* Messages are per thread: another thread does not see this one's. */
    EXPECT(cdq_engine_destroy(NULL), -EINVAL);
    pthread_t thread;
    void *seen = NULL;
    pthread_create(&thread, NULL, fresh_thread_error, NULL);
    pthread_join(thread, &seen);
    TRUE(strcmp((const char *)seen, "") == 0);
    TRUE(strstr(cdq_last_error(), "NULL") != NULL);
}

static void null_handles_and_pointers(void) {
    cdq_record record;
    const cdq_record *records;
    cdq_engine_stats engine_stats = { .size = sizeof engine_stats };
    cdq_queue_stats queue_stats = { .size = sizeof queue_stats };
    cdq_queue_info info = { .size = sizeof info };
    cdq_writer_stats writer_stats = { .size = sizeof writer_stats };
    cdq_queue *queue;

    cdq_engine_config_init(NULL); /* must simply return */
    cdq_simulator_config_init(NULL);
    cdq_writer_config_init(NULL);
    EXPECT(cdq_engine_create(NULL, NULL), -EINVAL);
    EXPECT(cdq_engine_destroy(NULL), -EINVAL);
    EXPECT(cdq_engine_stats_get(NULL, &engine_stats), -EINVAL);
    cdq_engine_statistics engine_statistics = { .size = sizeof engine_statistics };
    EXPECT(cdq_engine_statistics_get(NULL, &engine_statistics), -EINVAL);
    EXPECT(cdq_consumer_create(16, NULL), -EINVAL);
    EXPECT(cdq_consumer_destroy(NULL), -EINVAL);
    EXPECT(cdq_consumer_peek(NULL, 64, &records), -EINVAL);
    EXPECT(cdq_consumer_release(NULL, 0), -EINVAL);
    EXPECT(cdq_consumer_pop(NULL, &record, 1), -EINVAL);
    EXPECT(cdq_consumer_wait(NULL, 0), -EINVAL);
    EXPECT(cdq_consumer_eventfd(NULL), -EINVAL);
    EXPECT(cdq_consumer_arm(NULL), -EINVAL);
    EXPECT(cdq_queue_attach_device(NULL, NULL, "/dev/nvme0", 1, 64, 0, &queue), -EINVAL);
    EXPECT(cdq_queue_attach_simulated(NULL, NULL, NULL, 1, 64, 0, &queue), -EINVAL);
    EXPECT(cdq_queue_start_logging(NULL), -EINVAL);
    EXPECT(cdq_queue_stop_logging_and_detach(NULL, 0), -EINVAL);
    EXPECT(cdq_queue_suspend_and_detach(NULL, 0), -EINVAL);
    EXPECT(cdq_queue_detach(NULL), -EINVAL);
    EXPECT(cdq_queue_destroy(NULL), -EINVAL);
    EXPECT(cdq_queue_info_get(NULL, &info), -EINVAL);
    EXPECT(cdq_queue_stats_get(NULL, &queue_stats), -EINVAL);
    EXPECT(cdq_simulator_create(NULL, NULL), -EINVAL);
    EXPECT(cdq_simulator_destroy(NULL), -EINVAL);
    EXPECT(cdq_simulator_start_writers(NULL, NULL), -EINVAL);
    EXPECT(cdq_simulator_stop_writers(NULL), -EINVAL);
    EXPECT(cdq_simulator_writer_stats(NULL, 1, &writer_stats), -EINVAL);
    /* A made-up handle is refused without being dereferenced. */
    EXPECT(cdq_engine_destroy((cdq_engine *)(uintptr_t)0x1234), -EBADF);
    EXPECT(cdq_consumer_peek((cdq_consumer *)(uintptr_t)0xdeadbeef, 1, &records), -EBADF);
}

static void engine_configuration(void) {
    cdq_engine *engine;
    cdq_engine_config config;
    cdq_engine_config_init(&config);
    /* 0.4: moderated by default (trigger_after 0), within a 1 ms budget. */
    TRUE(config.size == sizeof config && config.max_queues > 0 && config.trigger_after == 0);
    TRUE(config.delivery_budget_ns == 1000000);

    cdq_engine_config bad = config;
    bad.size = 0;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad.size = 4;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad.size = 0xFFFFFFFFu;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad = config;
    bad.max_queues = 0;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad = config;
    bad.delivery_budget_ns = 0;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    TRUE(strstr(cdq_last_error(), "delivery_budget_ns") != NULL);
    bad.delivery_budget_ns = 99999;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad.delivery_budget_ns = 1000000001;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    /* A 0.3 program's struct ends before delivery_budget_ns: accepted, with the default budget. */
    bad = config;
    bad.delivery_budget_ns = 0;
    bad.size = offsetof(cdq_engine_config, delivery_budget_ns);
    EXPECT(cdq_engine_create(&bad, &engine), 0);
    EXPECT(cdq_engine_destroy(engine), 0);
    bad.size = offsetof(cdq_engine_config, delivery_budget_ns) - 1;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad = config;
    bad.trigger_after = 1u << 20;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad = config;
    bad.watchdog_interval_ns = 0;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);
    bad = config;
    bad.reserved = 1;
    EXPECT(cdq_engine_create(&bad, &engine), -EINVAL);

    /* A newer header's larger struct: accepted when the unknown tail is zero. */
    struct { cdq_engine_config known; uint64_t future[2]; } newer = { config, { 0, 0 } };
    newer.known.size = sizeof newer;
    newer.future[1] = 7;
    EXPECT(cdq_engine_create(&newer.known, &engine), -E2BIG);
    newer.future[1] = 0;
    EXPECT(cdq_engine_create(&newer.known, &engine), 0);

    /* Output structs: too small refused, larger filled and told how much. */
    cdq_engine_stats small = { .size = 8 };
    EXPECT(cdq_engine_stats_get(engine, &small), -EINVAL);
    struct { cdq_engine_stats known; uint64_t future; } bigger;
    memset(&bigger, 0xAB, sizeof bigger);
    bigger.known.size = sizeof bigger;
    EXPECT(cdq_engine_stats_get(engine, &bigger.known), 0);
    TRUE(bigger.known.size == sizeof(cdq_engine_stats));
    TRUE(bigger.future == 0);
    TRUE(bigger.known.queues == 0);

    /* The versioned statistics: the same rules, and the version filled in. */
    cdq_engine_statistics statistics = { .size = 4 };
    EXPECT(cdq_engine_statistics_get(engine, NULL), -EINVAL);
    EXPECT(cdq_engine_statistics_get(engine, &statistics), -EINVAL);
    struct { cdq_engine_statistics known; uint64_t future[2]; } later;
    memset(&later, 0xAB, sizeof later);
    later.known.size = sizeof later;
    EXPECT(cdq_engine_statistics_get(engine, &later.known), 0);
    TRUE(later.known.size == sizeof(cdq_engine_statistics) && later.known.version == CDQ_ENGINE_STATISTICS_VERSION);
    TRUE(later.future[0] == 0 && later.future[1] == 0 && later.known.queues == 0 && later.known.problems == 0);

    EXPECT(cdq_engine_destroy(engine), 0);
    EXPECT(cdq_engine_destroy(engine), -EBADF); /* double destroy */
    EXPECT(cdq_engine_statistics_get(engine, &later.known), -EBADF);
    EXPECT(cdq_engine_stats_get(engine, &bigger.known), -EBADF);
    EXPECT(cdq_engine_create(NULL, &engine), 0); /* NULL config: defaults */
    EXPECT(cdq_engine_destroy(engine), 0);
}

static void consumers(void) {
    cdq_consumer *consumer;
    const cdq_record *records;
    cdq_record record;
    EXPECT(cdq_consumer_create(0, &consumer), -EINVAL);
    EXPECT(cdq_consumer_create(SIZE_MAX, &consumer), -EINVAL);
    EXPECT(cdq_consumer_create((size_t)1 << 25, &consumer), -EINVAL);
    EXPECT(cdq_consumer_create(64, &consumer), 0);
    EXPECT(cdq_consumer_peek(consumer, 64, NULL), -EINVAL);
    EXPECT(cdq_consumer_peek(consumer, 64, &records), 0);
    EXPECT(cdq_consumer_release(consumer, 1), -EINVAL); /* nothing peeked */
    EXPECT(cdq_consumer_release(consumer, SIZE_MAX), -EINVAL);
    EXPECT(cdq_consumer_pop(consumer, NULL, 4), -EINVAL);
    EXPECT(cdq_consumer_pop(consumer, &record, 1), 0);
    EXPECT(cdq_consumer_wait(consumer, 1000 * 1000), 0); /* empty: times out */
    TRUE(cdq_consumer_eventfd(consumer) >= 0);
    EXPECT(cdq_consumer_arm(consumer), 0);
    /* Foreign handles: a consumer is not an engine, an engine not a consumer. */
    EXPECT(cdq_engine_destroy((cdq_engine *)consumer), -EBADF);
    EXPECT(cdq_consumer_destroy(consumer), 0);
    EXPECT(cdq_consumer_destroy(consumer), -EBADF);
    EXPECT(cdq_consumer_peek(consumer, 64, &records), -EBADF);
    EXPECT(cdq_consumer_release(consumer, 0), -EBADF);
    EXPECT(cdq_consumer_pop(consumer, &record, 1), -EBADF);
    EXPECT(cdq_consumer_wait(consumer, 0), -EBADF);
    EXPECT(cdq_consumer_eventfd(consumer), -EBADF);
    EXPECT(cdq_consumer_arm(consumer), -EBADF);
}

/* Peeks until a record arrives (or a second passes); returns its ESA. */
static int next_status(cdq_consumer *consumer, uint16_t *cdqid) {
    const cdq_record *records;
    for (int attempt = 0; attempt < 100; attempt++) {
        int64_t n = cdq_consumer_peek(consumer, 1, &records);
        if (n < 0) return (int)n;
        if (n == 1) {
            int status = (int)cdq_entry_status(&records[0]);
            *cdqid = records[0].cdqid;
            cdq_consumer_release(consumer, 1);
            return status;
        }
        cdq_consumer_wait(consumer, 10 * 1000 * 1000);
    }
    return -ETIMEDOUT;
}

static void queues(void) {
    cdq_simulator *simulator;
    cdq_simulator_config sim_config;
    cdq_simulator_config_init(&sim_config);
    sim_config.controllers = 3;
    cdq_simulator_config bad = sim_config;
    bad.size = 2;
    EXPECT(cdq_simulator_create(&bad, &simulator), -EINVAL);
    bad = sim_config;
    bad.controllers = 0;
    EXPECT(cdq_simulator_create(&bad, &simulator), -EINVAL);
    bad = sim_config;
    bad.lba_size = 100;
    EXPECT(cdq_simulator_create(&bad, &simulator), -EINVAL);
    EXPECT(cdq_simulator_create(&sim_config, &simulator), 0);

    cdq_engine *engine, *other_engine;
    cdq_consumer *consumer;
    cdq_queue *queue, *second, *deferred;
    EXPECT(cdq_engine_create(NULL, &engine), 0);
    EXPECT(cdq_engine_create(NULL, &other_engine), 0);
    EXPECT(cdq_consumer_create(64, &consumer), 0);

    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 1, 0, &queue), -EINVAL);
    /* Too small for a FIRST, a change and a LAST: refused with the reason. */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 4, 0, &queue), -EINVAL);
    TRUE(strstr(cdq_last_error(), "at least 5") != NULL);
    /* A trigger that could only fire with the queue full: refused, not clamped. */
    cdq_engine *late_trigger;
    cdq_engine_config late;
    cdq_engine_config_init(&late);
    late.trigger_after = 63;
    EXPECT(cdq_engine_create(&late, &late_trigger), 0);
    EXPECT(cdq_queue_attach_simulated(late_trigger, consumer, simulator, 1, 64, 0, &queue), -EINVAL);
    TRUE(strstr(cdq_last_error(), "trigger_after") != NULL);
    EXPECT(cdq_engine_destroy(late_trigger), 0);
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0x80, &queue), -EINVAL);
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0, NULL), -EINVAL);
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 0, 64, 0, &queue), -ENODEV);
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 4, 64, 0, &queue), -ENODEV);
    EXPECT(cdq_queue_attach_simulated(engine, (cdq_consumer *)engine, simulator, 1, 64, 0, &queue), -EBADF);
    EXPECT(cdq_queue_attach_device(engine, consumer, NULL, 1, 64, 0, &queue), -EINVAL);
    /* Device queues: the errno of opening the device, or -ENODEV for a
     * device that is not an NVMe controller. */
    EXPECT(cdq_queue_attach_device(engine, consumer, "/nonexistent/nvme0", 1, 64, 0, &queue), -ENOENT);
    TRUE(strstr(cdq_last_error(), "/nonexistent/nvme0") != NULL);
    EXPECT(cdq_queue_attach_device(engine, consumer, "/dev/null", 1, 64, 0, &queue), -ENODEV);
    EXPECT(cdq_queue_attach_device(engine, consumer, "/dev/nvme0", 1, 1, 0, &queue), -EINVAL);

    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0, &queue), 0);
    uint16_t cdqid = 0;
    EXPECT(next_status(consumer, &cdqid), CDQ_ESA_FIRST); /* logging started at attach */
    /* One queue per migratable controller: the simulator refuses a second. */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0, &second), -EIO);
    /* The consumer belongs to `engine` now. */
    EXPECT(cdq_queue_attach_simulated(other_engine, consumer, simulator, 2, 64, 0, &second), -EXDEV);
    /* Busy: nothing with an attached queue may be destroyed. */
    EXPECT(cdq_engine_destroy(engine), -EBUSY);
    EXPECT(cdq_consumer_destroy(consumer), -EBUSY);
    EXPECT(cdq_simulator_destroy(simulator), -EBUSY);

    cdq_queue_info info = { .size = sizeof info };
    EXPECT(cdq_queue_info_get(queue, &info), 0);
    TRUE(info.attached == 1 && info.cntlid == 1 && info.entries == 64 && info.cdqid == cdqid);
    cdq_queue_stats stats = { .size = 3 };
    EXPECT(cdq_queue_stats_get(queue, &stats), -EINVAL);
    stats.size = sizeof stats;
    EXPECT(cdq_queue_stats_get(queue, &stats), 0);
    TRUE(stats.entries == 1);

    /* Deferred logging: no FIRST until asked. */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 2, 64, CDQ_ATTACH_DEFER_LOGGING, &deferred), 0);
    const cdq_record *records;
    EXPECT(cdq_consumer_peek(consumer, 64, &records), 0);
    EXPECT(cdq_queue_start_logging(deferred), 0);
    EXPECT(next_status(consumer, &cdqid), CDQ_ESA_FIRST);
    EXPECT(cdq_queue_suspend_and_detach(deferred, -1), 0);
    EXPECT(next_status(consumer, &cdqid), CDQ_ESA_LAST_SUSPENDED);
    EXPECT(cdq_queue_start_logging(deferred), -ENOTCONN);

    /* Stop logging: the LAST entry is in the ring when the call returns. */
    EXPECT(cdq_queue_stop_logging_and_detach(queue, -1), 0);
    /* Pop after detach: what was delivered stays poppable, then empty. */
    EXPECT(next_status(consumer, &cdqid), CDQ_ESA_LAST_STOPPED);
    EXPECT(cdq_consumer_peek(consumer, 64, &records), 0);
    EXPECT(cdq_queue_detach(queue), -ENOTCONN);
    EXPECT(cdq_queue_stop_logging_and_detach(queue, 0), -ENOTCONN);
    EXPECT(cdq_queue_suspend_and_detach(queue, 0), -ENOTCONN);
    EXPECT(cdq_queue_start_logging(queue), -ENOTCONN);
    EXPECT(cdq_queue_stats_get(queue, &stats), -ENOTCONN);
    EXPECT(cdq_queue_info_get(queue, &info), 0);
    TRUE(info.attached == 0 && info.cntlid == 1);

    /* The controller's queue is gone, so it can be attached again. */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0, &second), 0);
    EXPECT(cdq_queue_destroy(second), 0); /* destroy detaches */
    EXPECT(cdq_queue_destroy(second), -EBADF);
    EXPECT(cdq_queue_detach(second), -EBADF);
    EXPECT(cdq_queue_destroy(queue), 0);
    EXPECT(cdq_queue_destroy(deferred), 0);
    EXPECT(cdq_queue_info_get(queue, &info), -EBADF);

    /* Writers. */
    cdq_writer_config writers;
    cdq_writer_config_init(&writers);
    cdq_writer_stats writer_stats = { .size = sizeof writer_stats };
    EXPECT(cdq_simulator_stop_writers(simulator), -EALREADY);
    writers.writes_per_second = -1;
    EXPECT(cdq_simulator_start_writers(simulator, &writers), -EINVAL);
    writers.writes_per_second = 1000;
    writers.size = 1;
    EXPECT(cdq_simulator_start_writers(simulator, &writers), -EINVAL);
    writers.size = sizeof writers;
    EXPECT(cdq_simulator_start_writers(simulator, &writers), 0);
    EXPECT(cdq_simulator_start_writers(simulator, &writers), -EALREADY);
    EXPECT(cdq_simulator_stop_writers(simulator), 0);
    EXPECT(cdq_simulator_writer_stats(simulator, 0, &writer_stats), -ENODEV);
    EXPECT(cdq_simulator_writer_stats(simulator, 1, NULL), -EINVAL);
    EXPECT(cdq_simulator_writer_stats(simulator, 3, &writer_stats), 0);

    EXPECT(cdq_consumer_destroy(consumer), 0);
    EXPECT(cdq_engine_destroy(engine), 0);
    EXPECT(cdq_engine_destroy(other_engine), 0);
    EXPECT(cdq_simulator_destroy(simulator), 0);
    EXPECT(cdq_simulator_destroy(simulator), -EBADF);
    EXPECT(cdq_simulator_start_writers(simulator, NULL), -EBADF);
}

/* Peeks until a record arrives (or `attempts` * 10 ms pass); copies it out. */
static int next_record(cdq_consumer *consumer, cdq_record *out, int attempts) {
    const cdq_record *records;
    for (int attempt = 0; attempt < attempts; attempt++) {
        int64_t n = cdq_consumer_peek(consumer, 1, &records);
        if (n < 0) return (int)n;
        if (n == 1) {
            *out = records[0];
            cdq_consumer_release(consumer, 1);
            return 0;
        }
        cdq_consumer_wait(consumer, 10 * 1000 * 1000);
    }
    return -ETIMEDOUT;
}

/* An entry as a controller stores it: NSID, NLB (0's based), SLBA, attributes. */
static void make_entry(uint8_t entry[32], uint32_t nsid, uint32_t nlb, uint64_t slba, uint8_t attributes) {
    memset(entry, 0, 32);
    for (int i = 0; i < 4; i++) entry[i] = (uint8_t)(nsid >> (8 * i));
    for (int i = 0; i < 4; i++) entry[4 + i] = (uint8_t)(nlb >> (8 * i));
    for (int i = 0; i < 8; i++) entry[8 + i] = (uint8_t)(slba >> (8 * i));
    entry[31] = attributes;
}

/* A controller that writes what no controller should, then loses the
 * queue: problem records carry the raw entry and the problem, a lost
 * queue ends with one queue-lost record; both are counted. */
static void untrusted_entries(void) {
    cdq_simulator *simulator;
    cdq_simulator_config sim_config;
    cdq_simulator_config_init(&sim_config);
    sim_config.controllers = 1;
    EXPECT(cdq_simulator_create(&sim_config, &simulator), 0);
    cdq_engine *engine;
    cdq_consumer *consumer;
    cdq_queue *queue;
    EXPECT(cdq_engine_create(NULL, &engine), 0);
    EXPECT(cdq_consumer_create(64, &consumer), 0);
    uint8_t entry[32];
    make_entry(entry, 1, 7, 100, 5 << 1);
    EXPECT(cdq_simulator_post_entry(simulator, 1, entry), -EAGAIN); /* no queue yet */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, 0, &queue), 0);
    cdq_record record;
    EXPECT(next_record(consumer, &record, 100), 0);
    TRUE(record.kind == CDQ_RECORD_ENTRY && cdq_entry_status(&record) == CDQ_ESA_FIRST && record.detail == 0);

    EXPECT(cdq_simulator_post_entry(simulator, 1, NULL), -EINVAL);
    EXPECT(cdq_simulator_post_entry(simulator, 2, entry), -ENODEV);
    EXPECT(cdq_simulator_post_entry(NULL, 1, entry), -EINVAL);
    /* Reserved ESA 5 over a real range. */
    EXPECT(cdq_simulator_post_entry(simulator, 1, entry), 0);
    EXPECT(next_record(consumer, &record, 100), 0);
    TRUE(record.kind == CDQ_RECORD_PROBLEM && record.detail == CDQ_PROBLEM_RESERVED_ESA);
    TRUE(memcmp(record.entry, entry, 31) == 0 && cdq_entry_status(&record) == 5 && cdq_entry_slba(&record) == 100);
    /* Another namespace than the controller's. */
    make_entry(entry, 2, 0, 7, 0);
    EXPECT(cdq_simulator_post_entry(simulator, 1, entry), 0);
    EXPECT(next_record(consumer, &record, 100), 0);
    TRUE(record.kind == CDQ_RECORD_PROBLEM && record.detail == CDQ_PROBLEM_NAMESPACE_OUT_OF_SCOPE && cdq_entry_nsid(&record) == 2);
    /* A range past the namespace's end. */
    make_entry(entry, 1, 15, sim_config.namespace_blocks - 8, 0);
    EXPECT(cdq_simulator_post_entry(simulator, 1, entry), 0);
    EXPECT(next_record(consumer, &record, 100), 0);
    TRUE(record.kind == CDQ_RECORD_PROBLEM && record.detail == CDQ_PROBLEM_RANGE_PAST_CAPACITY);

    cdq_queue_problem_stats problems = { .size = 4 };
    EXPECT(cdq_queue_problem_stats_get(queue, &problems), -EINVAL);
    problems.size = sizeof problems;
    EXPECT(cdq_queue_problem_stats_get(NULL, &problems), -EINVAL);
    EXPECT(cdq_queue_problem_stats_get(queue, &problems), 0);
    TRUE(problems.problems == 3 && problems.queue_losses == 0);
    TRUE(problems.by_kind[CDQ_PROBLEM_RESERVED_ESA] == 1 && problems.by_kind[CDQ_PROBLEM_NAMESPACE_OUT_OF_SCOPE] == 1
         && problems.by_kind[CDQ_PROBLEM_RANGE_PAST_CAPACITY] == 1 && problems.by_kind[CDQ_PROBLEM_TAIL_JUMP] == 0);
    /* The engine's statistics sum the same counts over its queues. */
    cdq_engine_statistics statistics = { .size = sizeof statistics };
    EXPECT(cdq_engine_statistics_get(engine, &statistics), 0);
    TRUE(statistics.queues == 1 && statistics.problems == 3 && statistics.queue_losses == 0);
    TRUE(statistics.problems_by_kind[CDQ_PROBLEM_RESERVED_ESA] == 1
         && statistics.problems_by_kind[CDQ_PROBLEM_RANGE_PAST_CAPACITY] == 1 && statistics.totals.entries >= 3);

    /* The controller forgets the queue: one queue-lost record. */
    EXPECT(cdq_simulator_delete_queue(simulator, 2), -ENODEV);
    EXPECT(cdq_simulator_delete_queue(simulator, 1), 0);
    EXPECT(cdq_simulator_delete_queue(simulator, 1), -ENOENT);
    EXPECT(next_record(consumer, &record, 500), 0);
    TRUE(record.kind == CDQ_RECORD_QUEUE_LOST && record.detail == CDQ_LOSS_UNKNOWN_TO_CONTROLLER);
    EXPECT(cdq_queue_problem_stats_get(queue, &problems), 0);
    TRUE(problems.queue_losses == 1);
    EXPECT(cdq_engine_statistics_get(engine, &statistics), 0);
    TRUE(statistics.queue_losses == 1);
    EXPECT(cdq_simulator_post_entry(simulator, 1, entry), -EAGAIN);
    /* Detaching a lost queue: the delete cannot succeed; the handle is detached anyway. */
    TRUE(cdq_queue_detach(queue) < 0);
    EXPECT(cdq_queue_problem_stats_get(queue, &problems), -ENOTCONN);
    EXPECT(cdq_queue_destroy(queue), 0);
    EXPECT(cdq_consumer_destroy(consumer), 0);
    EXPECT(cdq_engine_destroy(engine), 0);
    EXPECT(cdq_simulator_destroy(simulator), 0);
}

/* Run-to-completion: the inline handler tries what it must not do. */
struct inline_misuse {
    cdq_engine *engine;
    cdq_queue *queue;
    int records;
    long long poll_inside;   /* cdq_engine_poll from the handler */
    long long detach_inside; /* cdq_queue_detach from the handler */
};

static void misusing_handler(void *context, const cdq_record *records, size_t count) {
    struct inline_misuse *self = context;
    (void)records;
    self->records += (int)count;
    if (self->queue && self->poll_inside == 1) {
        self->poll_inside = cdq_engine_poll(self->engine, 0);
        self->detach_inside = cdq_queue_detach(self->queue);
    }
}

static void ignore_records(void *context, const cdq_record *records, size_t count) {
    (void)context; (void)records; (void)count;
}

static void *poll_elsewhere(void *engine) {
    return (void *)(intptr_t)cdq_engine_poll(engine, 0);
}

static void run_to_completion(void) {
    cdq_engine *engine, *threaded;
    EXPECT(cdq_engine_create_run_to_completion(NULL, NULL, NULL, &engine), -EINVAL);
    TRUE(strstr(cdq_last_error(), "handler") != NULL);
    EXPECT(cdq_engine_create_run_to_completion(NULL, ignore_records, NULL, NULL), -EINVAL);
    cdq_engine_config config;
    cdq_engine_config_init(&config);
    config.max_queues = 0;
    EXPECT(cdq_engine_create_run_to_completion(&config, ignore_records, NULL, &engine), -EINVAL);
    EXPECT(cdq_engine_poll(NULL, 0), -EINVAL);

    /* An engine with its own loop thread is not polled. */
    EXPECT(cdq_engine_create(NULL, &threaded), 0);
    EXPECT(cdq_engine_poll(threaded, 0), -EOPNOTSUPP);
    EXPECT(cdq_engine_destroy(threaded), 0);
    EXPECT(cdq_engine_poll(threaded, 0), -EBADF);

    /* Only the creating thread polls. */
    struct inline_misuse misuse = { 0 };
    EXPECT(cdq_engine_create_run_to_completion(NULL, misusing_handler, &misuse, &engine), 0);
    misuse.engine = engine;
    EXPECT(cdq_engine_poll(engine, 0), 0);
    EXPECT(cdq_engine_poll(engine, 1000), 0);
    pthread_t thread;
    void *result = NULL;
    pthread_create(&thread, NULL, poll_elsewhere, engine);
    pthread_join(thread, &result);
    EXPECT((intptr_t)result, -EPERM);

    /* Inside the handler: polling again or detaching would wait for itself. */
    cdq_simulator *simulator;
    cdq_simulator_config sim_config;
    cdq_simulator_config_init(&sim_config);
    sim_config.controllers = 1;
    EXPECT(cdq_simulator_create(&sim_config, &simulator), 0);
    cdq_consumer *consumer;
    EXPECT(cdq_consumer_create(64, &consumer), 0);
    cdq_queue *queue;
    misuse.poll_inside = 1; /* armed once the queue is known */
    EXPECT(cdq_queue_attach_simulated(engine, consumer, simulator, 1, 64, CDQ_ATTACH_DEFER_LOGGING, &queue), 0);
    misuse.queue = queue;
    EXPECT(cdq_queue_start_logging(queue), 0); /* its FIRST reaches the handler while it waits */
    for (int i = 0; i < 500 && misuse.records == 0; i++) EXPECT(cdq_engine_poll(engine, 10 * 1000 * 1000) >= 0, 1);
    TRUE(misuse.records == 1);
    EXPECT(misuse.poll_inside, -EDEADLK);
    EXPECT(misuse.detach_inside, -EDEADLK);
    /* The refused detach left the queue attached: it detaches properly now. */
    EXPECT(cdq_queue_detach(queue), 0);
    EXPECT(cdq_queue_destroy(queue), 0);
    EXPECT(cdq_consumer_destroy(consumer), 0);
    EXPECT(cdq_engine_destroy(engine), 0);
    EXPECT(cdq_engine_poll(engine, 0), -EBADF);
    EXPECT(cdq_simulator_destroy(simulator), 0);
}

int main(void) {
    version_and_errors();
    null_handles_and_pointers();
    engine_configuration();
    consumers();
    queues();
    untrusted_entries();
    run_to_completion();
    printf("bad_input: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
