/*
 * cxx_client.cpp: cdq_engine.h from C++. Storage agents are often C++, so
 * the header must compile there (-std=c++11 and later, -pedantic), its
 * functions must link with C names, and its records must have the layout
 * the library writes. One simulated controller, a run-to-completion
 * engine whose handler is a C++ static member, a burst of writes, then
 * stop logging: every change arrives exactly once. Run by make test-c.
 *
 * Exit status 0 when it does, 1 when not, 2 on an error.
 */
#include <cdq_engine.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static_assert(sizeof(cdq_record) == 40, "cdq_record is 40 bytes");
static_assert(alignof(cdq_record) == 8, "cdq_record is 8-byte aligned");
static_assert(offsetof(cdq_record, queue) == 32, "the queue index follows the entry");
static_assert(offsetof(cdq_record, kind) == 38, "kind is byte 38");
static_assert(offsetof(cdq_record, detail) == 39, "detail is byte 39");

namespace {

[[noreturn]] void die(const char *what, long long rc) {
    std::fprintf(stderr, "cxx_client: %s: %s (%s)\n", what, std::strerror(static_cast<int>(-rc)), cdq_last_error());
    std::exit(2);
}

void check(const char *what, long long rc) {
    if (rc < 0) die(what, rc);
}

struct Books {
    unsigned long long changes = 0, blocks = 0, firsts = 0, lasts = 0, others = 0;

    static void take(void *context, const cdq_record *records, size_t count) {
        Books &books = *static_cast<Books *>(context);
        for (size_t i = 0; i < count; i++) {
            const cdq_record &record = records[i];
            if (record.kind != CDQ_RECORD_ENTRY) { books.others++; continue; }
            switch (cdq_entry_status(&record)) {
            case CDQ_ESA_CHANGE: books.changes++; books.blocks += cdq_entry_blocks(&record); break;
            case CDQ_ESA_FIRST: books.firsts++; break;
            case CDQ_ESA_LAST_STOPPED: books.lasts++; break;
            default: books.others++; break;
            }
        }
    }
};

/* The inline accessors, on an entry built by hand: NSID 7, 16 blocks
 * (NLB 15) at LBA 0x1_0000_0020, a change record with phase 1. */
int accessorFailures() {
    cdq_record record = {};
    const unsigned char entry[32] = {7, 0, 0, 0, 15, 0, 0, 0, 0x20, 0, 0, 0, 1, 0, 0, 0};
    std::memcpy(record.entry, entry, sizeof entry);
    record.entry[31] = 0x81; /* LBACIR 2, ESA 0, phase 1 */
    int failures = 0;
    if (cdq_entry_nsid(&record) != 7) failures++;
    if (cdq_entry_blocks(&record) != 16) failures++;
    if (cdq_entry_slba(&record) != 0x100000020ull) failures++;
    if (cdq_entry_status(&record) != CDQ_ESA_CHANGE) failures++;
    if (cdq_entry_lbacir(&record) != 2) failures++;
    if (failures) std::printf("cxx_client: %d entry accessors read the wrong value\n", failures);
    return failures;
}

} // namespace

int main() {
    int failures = accessorFailures();
    if (cdq_version() >> 16 != CDQ_ENGINE_VERSION_MAJOR) {
        std::printf("cxx_client: library major %u, header %d\n", cdq_version() >> 16, CDQ_ENGINE_VERSION_MAJOR);
        failures++;
    }
    /* Bad input from C++ gets the same clear error. */
    if (cdq_engine_create(nullptr, nullptr) != -EINVAL || cdq_last_error()[0] == '\0') {
        std::printf("cxx_client: cdq_engine_create(NULL, NULL) did not fail with -EINVAL and a message\n");
        failures++;
    }

    cdq_simulator_config simConfig;
    cdq_simulator_config_init(&simConfig);
    simConfig.controllers = 1;
    cdq_simulator *simulator = nullptr;
    check("cdq_simulator_create", cdq_simulator_create(&simConfig, &simulator));

    Books books;
    cdq_engine_config config;
    cdq_engine_config_init(&config);
    config.max_queues = 1;
    cdq_engine *engine = nullptr;
    check("cdq_engine_create_run_to_completion", cdq_engine_create_run_to_completion(&config, &Books::take, &books, &engine));
    cdq_consumer *consumer = nullptr;
    check("cdq_consumer_create", cdq_consumer_create(64, &consumer));
    cdq_queue *queue = nullptr;
    check("cdq_queue_attach_simulated", cdq_queue_attach_simulated(engine, consumer, simulator, 1, 4096, 0, &queue));

    cdq_writer_config writers;
    cdq_writer_config_init(&writers);
    writers.writes_per_second = 5000;
    writers.seed = 11;
    check("cdq_simulator_start_writers", cdq_simulator_start_writers(simulator, &writers));
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < end) check("cdq_engine_poll", cdq_engine_poll(engine, 10 * 1000 * 1000));
    check("cdq_simulator_stop_writers", cdq_simulator_stop_writers(simulator));
    check("cdq_queue_stop_logging_and_detach", cdq_queue_stop_logging_and_detach(queue, -1));

    cdq_writer_stats written = {};
    written.size = sizeof written;
    check("cdq_simulator_writer_stats", cdq_simulator_writer_stats(simulator, 1, &written));
    if (written.operations == 0 || written.errors != 0 || written.lost != 0 || books.changes != written.operations ||
        books.blocks != written.blocks || books.firsts != 1 || books.lasts != 1 || books.others != 0) {
        std::printf("cxx_client: produced %llu (%llu blocks), delivered %llu (%llu blocks), first %llu, last %llu, "
                    "other %llu: MISMATCH\n",
                    static_cast<unsigned long long>(written.operations), static_cast<unsigned long long>(written.blocks),
                    books.changes, books.blocks, books.firsts, books.lasts, books.others);
        failures++;
    }

    check("cdq_queue_destroy", cdq_queue_destroy(queue));
    check("cdq_consumer_destroy", cdq_consumer_destroy(consumer));
    check("cdq_engine_destroy", cdq_engine_destroy(engine));
    check("cdq_simulator_destroy", cdq_simulator_destroy(simulator));
    if (failures) std::printf("cxx_client: FAILED\n");
    else std::printf("cxx_client: the header works from C++: %llu changes, each delivered exactly once\n",
                     static_cast<unsigned long long>(written.operations));
    return failures ? 1 : 0;
}
