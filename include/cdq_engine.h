/*
 * cdq_engine.h: the C interface of the cdq-engine library.
 *
 * One io_uring event loop (an engine) drains many NVMe Controller Data
 * Queues (CDQs) into consumers' bounded rings; a storage agent pops the
 * 32-byte entries from its own threads. See docs/c-api.md for ownership,
 * threading and the compatibility promise.
 *
 * Conventions:
 * - Handles are opaque. Never dereference one; compare it with NULL only.
 * - Every function that can fail returns a negative errno value (-EINVAL,
 *   -EBADF, ...) and leaves a message for the calling thread in
 *   cdq_last_error(). Success is 0 unless a function says otherwise.
 * - Structs passed in or out begin with `size`: set it to sizeof(the
 *   struct) as your header declares it. The library accepts the sizes of
 *   every earlier version of this header.
 * - No function aborts the process on bad input.
 */
#ifndef CDQ_ENGINE_H
#define CDQ_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version -------------------------------------------------------- */

/* This header's version. The major number changes only when a function or
 * struct changes incompatibly; minor versions only add. */
#define CDQ_ENGINE_VERSION_MAJOR 0
#define CDQ_ENGINE_VERSION_MINOR 4
#define CDQ_ENGINE_VERSION_PATCH 1
#define CDQ_ENGINE_VERSION \
    ((CDQ_ENGINE_VERSION_MAJOR << 16) | (CDQ_ENGINE_VERSION_MINOR << 8) | CDQ_ENGINE_VERSION_PATCH)

/* The library's version, (major << 16) | (minor << 8) | patch. A program
 * built against major M runs with a library of major M and any minor
 * version at least the one it was built with. */
uint32_t cdq_version(void);

/* The same, as "major.minor.patch" (static storage). */
const char *cdq_version_string(void);

/* The message of the calling thread's last failed call ("" if none). Valid
 * until the thread's next failing call; never NULL. */
const char *cdq_last_error(void);

/* ---- Handles ------------------------------------------------------- */

typedef struct cdq_engine cdq_engine;       /* one event loop: its own thread, or the caller's (run to completion) */
typedef struct cdq_consumer cdq_consumer;   /* one ring, one consumer thread */
typedef struct cdq_queue cdq_queue;         /* one attached CDQ */
typedef struct cdq_simulator cdq_simulator; /* a simulated NVM subsystem, for tests */

/* ---- Records -------------------------------------------------------- */

/* C11's _Alignas, spelled alignas in C++: the header serves both. */
#ifdef __cplusplus
#define CDQ_ALIGNAS(n) alignas(n)
#else
#define CDQ_ALIGNAS(n) _Alignas(n)
#endif

/* What a consumer receives: one CDQ entry exactly as the controller wrote
 * it, plus the queue it came from. 40 bytes. */
typedef struct cdq_record {
    CDQ_ALIGNAS(8) uint8_t entry[32]; /* the raw entry, little endian */
    uint32_t queue;                /* cdq_queue_info.index of its queue */
    uint16_t cdqid;                /* the controller's id of the queue */
    uint8_t kind;                  /* CDQ_RECORD_* */
    union {
        uint8_t reserved;          /* the name of this byte before 0.2 */
        uint8_t detail;            /* CDQ_PROBLEM_* for a problem record,
                                      CDQ_LOSS_* for a queue-lost record, else 0 */
    };
} cdq_record;

enum {
    /* A change record or a FIRST/LAST marker, as logged. */
    CDQ_RECORD_ENTRY = 0,
    /* The controller's queue overflowed (an ESA 7 entry): changes were
     * lost, every LBA of this queue's namespaces may have changed. */
    CDQ_RECORD_OVERFLOW = 1,
    /* An entry the engine found wrong (detail: CDQ_PROBLEM_*), carried raw
     * in `entry`. It cannot be applied exactly: every LBA of this queue's
     * namespaces may have changed. */
    CDQ_RECORD_PROBLEM = 2,
    /* The queue is lost (detail: CDQ_LOSS_*): the engine no longer reads
     * it and nothing more will arrive from it; `entry` is zero. Detach it. */
    CDQ_RECORD_QUEUE_LOST = 3,
};

/* What is wrong with the entry of a CDQ_RECORD_PROBLEM record. */
enum {
    CDQ_PROBLEM_RESERVED_ESA = 1,           /* ESA 4, 5 or 6 */
    CDQ_PROBLEM_RESERVED_LBACIR = 2,        /* LBACIR 3 */
    CDQ_PROBLEM_MARKER_WITH_LBA_CHANGE = 3, /* FIRST/LAST with LBACIR other than 2 */
    CDQ_PROBLEM_MARKER_WITH_RANGE = 4,      /* FIRST/LAST with a non-zero NSID, NLB or SLBA */
    CDQ_PROBLEM_CHANGE_WITHOUT_CHANGE = 5,  /* ESA 0 with LBACIR 2 */
    CDQ_PROBLEM_CHANGE_WITHOUT_NAMESPACE = 6, /* a change record with NSID 0 */
    CDQ_PROBLEM_RANGE_OVERFLOW = 7,         /* SLBA + blocks runs past 2^64 */
    CDQ_PROBLEM_NAMESPACE_OUT_OF_SCOPE = 8, /* an NSID the queue's controller does not log */
    CDQ_PROBLEM_RANGE_PAST_CAPACITY = 9,    /* a range at or past the namespace's end */
    CDQ_PROBLEM_TAIL_JUMP = 10,             /* the tail skipped this slot: an entry may be missing */
};

/* Why the queue of a CDQ_RECORD_QUEUE_LOST record was lost. */
enum {
    CDQ_LOSS_UNKNOWN_TO_CONTROLLER = 1, /* Invalid Controller Data Queue: deleted or reset */
    CDQ_LOSS_DEVICE_GONE = 2,           /* ENODEV or EIO from the kernel */
    CDQ_LOSS_ADMIN_TIMEOUT = 3,         /* a head update never completed */
};

/* Entry status attribute (ESA, bits 3:1 of byte 31). */
enum {
    CDQ_ESA_CHANGE = 0,            /* a change record */
    CDQ_ESA_FIRST = 1,             /* Track Send started logging */
    CDQ_ESA_LAST_STOPPED = 2,      /* Track Send stopped logging */
    CDQ_ESA_LAST_SUSPENDED = 3,    /* Migration Send suspended the controller */
    CDQ_ESA_LAST_QUEUE_FULL = 7,   /* the queue filled; later changes lost */
};

static inline uint32_t cdq_entry_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
/* NSID of the changed namespace. */
static inline uint32_t cdq_entry_nsid(const cdq_record *r) { return cdq_entry_le32(r->entry); }
/* Blocks in the changed range (NLB is 0's based in the entry). */
static inline uint64_t cdq_entry_blocks(const cdq_record *r) { return (uint64_t)cdq_entry_le32(r->entry + 4) + 1; }
/* First LBA of the changed range. */
static inline uint64_t cdq_entry_slba(const cdq_record *r) {
    return (uint64_t)cdq_entry_le32(r->entry + 8) | (uint64_t)cdq_entry_le32(r->entry + 12) << 32;
}
/* CDQ_ESA_*. */
static inline unsigned cdq_entry_status(const cdq_record *r) { return (r->entry[31] >> 1) & 7u; }
/* Nonzero when the range was deallocated rather than written. */
static inline unsigned cdq_entry_deallocated(const cdq_record *r) { return (r->entry[31] >> 5) & 1u; }
/* LBACIR: 0 the range changed, 1 the whole namespace, 2 none (markers). */
static inline unsigned cdq_entry_lbacir(const cdq_record *r) { return r->entry[31] >> 6; }

/* ---- Engine -------------------------------------------------------- */

typedef struct cdq_engine_config {
    uint32_t size;                 /* sizeof(cdq_engine_config) */
    uint32_t max_queues;           /* queues held at once (slots allocated up front) */
    uint32_t ring_entries;         /* submission entries of the loop's io_uring */
    uint32_t drain_batch;          /* most entries drained from one queue per scan */
    uint64_t watchdog_interval_ns; /* queues not scanned for this long are scanned anyway */
    uint32_t trigger_after;        /* 0 (the default): moderated, see delivery_budget_ns; n: wake once n entries wait (1: every entry), at most entries - 2 of every queue attached, else the attach fails with -EINVAL */
    uint32_t head_update_retries;  /* immediate retries of a failed head update */
    uint32_t polling;              /* 1: busy queues are polled without events; 0: never */
    uint32_t reserved;             /* 0 */
    uint64_t delivery_budget_ns;   /* 0.4: with trigger_after 0, every entry of an active queue reaches its consumer within this time (100000...1000000000; default 1 ms); a 0.3 struct (40 bytes) gets the default */
} cdq_engine_config;

/* Fills `config` with the defaults and sets config->size. */
void cdq_engine_config_init(cdq_engine_config *config);

/* Starts an engine (its loop thread). `config` may be NULL for defaults.
 * -EINVAL: out NULL, size too small or a bound zero; -E2BIG: size larger
 * than this library knows with nonzero unknown fields; -EMFILE: too many
 * handles; other: the system error that stopped the loop's start. */
int cdq_engine_create(const cdq_engine_config *config, cdq_engine **out);

/* Stops the loop and joins its thread. -EBADF: not a live engine (NULL
 * gives -EINVAL); -EBUSY: queues are still attached (detach them first). */
int cdq_engine_destroy(cdq_engine *engine);

/* ---- Run-to-completion (0.4) ------------------------------------------ */

/* Where a run-to-completion engine puts records: `count` records in ring
 * order (each queue's in the order its controller posted them), valid only
 * during the call, on the thread inside cdq_engine_poll. Keep it short. It
 * may attach queues, but any call that waits for the engine (detach, stop
 * logging, suspend, cdq_engine_poll itself) fails there with -EDEADLK. */
typedef void (*cdq_record_handler)(void *context, const cdq_record *records, size_t count);

/* An engine without a loop thread: the calling thread drives it with
 * cdq_engine_poll, and records go to `handler` on that thread (no consumer
 * thread, no eventfd hand-off). The engine's io_uring belongs to this
 * thread: only it may poll. Queues attach as usual, with a consumer whose
 * ring bounds what one poll turn can hold; that consumer is read by
 * cdq_engine_poll only (never peek, pop or wait on it). Calls on this
 * thread that wait for the engine (attach, detach, stop logging) poll
 * while they wait. -EINVAL: handler or out NULL, or a bad config (as
 * cdq_engine_create). cdq_engine_destroy releases it from any thread. */
int cdq_engine_create_run_to_completion(const cdq_engine_config *config, cdq_record_handler handler,
                                        void *context, cdq_engine **out);

/* Runs the engine's loop on this thread: scans the queues that are ready,
 * hands their records to the handler, sends head updates and admin
 * commands and handles their answers. Returns the number of records handed
 * out (>= 0) once some were, or once answers were handled with nothing
 * left to scan (a watchdog tick), or when `timeout_ns` passed (0: one turn
 * without waiting; negative: no limit). Never blocks longer than the
 * timeout; may return 0 before it, so call it in a loop. -EOPNOTSUPP: the
 * engine was made by cdq_engine_create (it has its own loop thread);
 * -EPERM: not the thread that created the engine; -EDEADLK: called from
 * the handler; -EBADF: not a live engine; other: the loop failed (the
 * engine then released everything). */
int64_t cdq_engine_poll(cdq_engine *engine, int64_t timeout_ns);

typedef struct cdq_queue_stats {
    uint32_t size;                   /* sizeof(cdq_queue_stats) */
    uint32_t reserved;
    uint64_t entries;                /* records delivered (overflow events included) */
    uint64_t wakeups;                /* eventfd wake-ups seen */
    uint64_t scans;                  /* scans of the phase tags */
    uint64_t polls;                  /* scans in polling mode */
    uint64_t head_updates;           /* Set Features FID 0x21 sent */
    uint64_t head_updates_coalesced; /* folded into a later one */
    uint64_t admin_errors;           /* head updates refused */
    uint64_t ring_full_stalls;       /* draining stopped: consumer ring full */
    uint64_t overflows;              /* ESA 7 entries seen */
    uint64_t last_entries;           /* LAST entries delivered */
    uint64_t watchdog_scans;         /* scans started by the watchdog */
} cdq_queue_stats;

typedef struct cdq_engine_stats {
    uint32_t size;             /* sizeof(cdq_engine_stats) */
    uint32_t queues;           /* queues attached now */
    uint64_t turns;            /* loop turns */
    cdq_queue_stats totals;    /* sums over every queue, now or before */
    uint64_t latency_count;    /* wake-ups measured (as of the last watchdog tick) */
    double latency_p50_us;     /* wake-up to consumer ring, microseconds */
    double latency_p99_us;
    double latency_p999_us;
    double latency_max_us;
} cdq_engine_stats;

/* Engine counters. Set stats->size (and stats->totals.size is ignored). */
int cdq_engine_stats_get(cdq_engine *engine, cdq_engine_stats *stats);

/* Everything the engine counts, in one versioned struct (0.3), so that an
 * agent can export the figures the Swift EngineStatistics gives. Per
 * queue, cdq_queue_stats_get and cdq_queue_problem_stats_get give the
 * same counters for one queue. */
#define CDQ_ENGINE_STATISTICS_VERSION 1
typedef struct cdq_engine_statistics {
    uint32_t size;             /* in: sizeof(cdq_engine_statistics); out: bytes filled */
    uint32_t version;          /* out: CDQ_ENGINE_STATISTICS_VERSION of what was filled */
    uint32_t queues;           /* queues attached now */
    uint32_t reserved;
    uint64_t turns;            /* loop turns */
    uint64_t system_calls;     /* system calls of the loop thread */
    cdq_queue_stats totals;    /* sums over every queue, now or before */
    uint64_t problems;         /* CDQ_RECORD_PROBLEM records delivered, every queue */
    uint64_t problems_by_kind[16]; /* indexed by CDQ_PROBLEM_* */
    uint64_t queue_losses;     /* CDQ_RECORD_QUEUE_LOST records delivered */
    uint64_t latency_count;    /* wake-ups measured (as of the last watchdog tick) */
    double latency_p50_us;     /* wake-up to consumer ring, microseconds */
    double latency_p99_us;
    double latency_p999_us;
    double latency_max_us;
} cdq_engine_statistics;

/* Fills `statistics` (set statistics->size first; version is output). */
int cdq_engine_statistics_get(cdq_engine *engine, cdq_engine_statistics *statistics);

/* ---- Consumer ------------------------------------------------------ */

/* A bounded ring (`capacity` records, rounded up to a power of two, at
 * most 1 << 24) that receives the entries of the queues attached to it.
 * A consumer belongs to the first engine a queue attaches it to. */
int cdq_consumer_create(size_t capacity, cdq_consumer **out);

/* -EBUSY while queues are attached to it. */
int cdq_consumer_destroy(cdq_consumer *consumer);

/* Zero-copy pop: sets *records to up to `max` waiting records, in place,
 * and returns how many (0: none waiting). Fewer than are waiting may come
 * back when the ring wraps; peek again after releasing. The records stay
 * valid until cdq_consumer_release, or the next peek, pop or destroy on
 * this consumer. Consumer thread only. */
int64_t cdq_consumer_peek(cdq_consumer *consumer, size_t max, const cdq_record **records);

/* Gives the first `count` peeked records back to the ring (the engine may
 * then overwrite them). -EINVAL: more than the open peek holds. */
int cdq_consumer_release(cdq_consumer *consumer, size_t count);

/* Copies up to `max` records into `out`; returns how many. */
int64_t cdq_consumer_pop(cdq_consumer *consumer, cdq_record *out, size_t max);

/* Blocks until records wait or `timeout_ns` passes (negative: forever).
 * Returns 1 when records wait, 0 on timeout. */
int cdq_consumer_wait(cdq_consumer *consumer, int64_t timeout_ns);

/* The eventfd to put in your own epoll or io_uring. It is signalled only
 * after cdq_consumer_arm: loop { peek/release until empty; if
 * (cdq_consumer_arm(c) == 0) sleep on the fd; }. Owned by the consumer. */
int cdq_consumer_eventfd(cdq_consumer *consumer);

/* Resets the eventfd and asks the engine to signal it at its next
 * delivery. Returns 1 if records already wait (do not sleep), 0 if armed. */
int cdq_consumer_arm(cdq_consumer *consumer);

/* ---- Queues -------------------------------------------------------- */

/* cdq_queue_attach_* flags. */
enum {
    /* Attach without starting logging; cdq_queue_start_logging starts it. */
    CDQ_ATTACH_DEFER_LOGGING = 1u << 0,
};

/* Attaches the user data migration queue of migratable controller
 * `cntlid` on the NVMe controller `device_path` ("/dev/nvme0", a kernel
 * with the CDQ RFC): physically contiguous queue memory, the CDQ (through
 * NVME_IOCTL_CDQ), its eventfd, logging started (unless deferred),
 * registered with `engine`, entries to `consumer`. `entries` 5...2^20 (fewer cannot hold a FIRST, a change and a LAST).
 * -ENOENT, -EACCES, ...: opening the device; -ENODEV: not an NVMe
 * controller device; -ENOMEM: no contiguous memory for the queue;
 * -ENOTTY: this kernel has no NVME_IOCTL_CDQ (the CDQ RFC); -EOPNOTSUPP:
 * the controller does not support CDQs; -EIO: the controller refused
 * the create with another NVMe status (in the message) or a later admin
 * command. */
int cdq_queue_attach_device(cdq_engine *engine, cdq_consumer *consumer, const char *device_path,
                            uint16_t cntlid, uint32_t entries, uint32_t flags, cdq_queue **out);

/* The same on a simulated migratable controller (1...controllers).
 * -ENODEV: no such controller; -EIO: the simulated controller refused
 * (e.g. it already has a queue); -ENOSPC: the engine holds max_queues;
 * -EXDEV: the consumer already serves another engine. */
int cdq_queue_attach_simulated(cdq_engine *engine, cdq_consumer *consumer, cdq_simulator *simulator,
                               uint16_t cntlid, uint32_t entries, uint32_t flags, cdq_queue **out);

/* Track Send start: the controller posts FIRST (a repeat posts nothing).
 * -ENOTCONN: the queue is detached; -EIO: the controller refused. */
int cdq_queue_start_logging(cdq_queue *queue);

/* The end of a queue's life (cdq-protocol.md §3): Track Send stop, wait
 * until the engine has delivered the LAST entry into the consumer's ring
 * (so every change logged before it is there; someone must be consuming),
 * at most `timeout_ns` (negative: 5 s), then detach. The queue is detached
 * whatever happens: -ETIMEDOUT: no LAST in time; -EIO: refused. */
int cdq_queue_stop_logging_and_detach(cdq_queue *queue, int64_t timeout_ns);

/* Migration Send suspend of the queue's migratable controller, wait for
 * the LAST (suspended) entry as above, then delete the queue and detach. Detached whatever
 * happens: -ETIMEDOUT: no LAST in time; -EIO: refused. */
int cdq_queue_suspend_and_detach(cdq_queue *queue, int64_t timeout_ns);

/* Unregisters from the engine, deletes the CDQ, frees its memory, without
 * waiting for anything. Entries already in the consumer ring stay there.
 * -ENOTCONN: already detached. */
int cdq_queue_detach(cdq_queue *queue);

/* Detaches if needed and frees the handle. */
int cdq_queue_destroy(cdq_queue *queue);

typedef struct cdq_queue_info {
    uint32_t size;      /* sizeof(cdq_queue_info) */
    uint32_t index;     /* cdq_record.queue of its records */
    uint32_t entries;   /* queue size in entries */
    uint16_t cdqid;     /* the controller's id */
    uint16_t cntlid;    /* the migratable controller */
    uint32_t attached;  /* 1 until detached */
    uint32_t reserved;
} cdq_queue_info;

int cdq_queue_info_get(cdq_queue *queue, cdq_queue_info *info);

/* Counters of an attached queue. -ENOTCONN once detached. */
int cdq_queue_stats_get(cdq_queue *queue, cdq_queue_stats *stats);

/* Entries the engine could not trust, and losses, of one queue (0.2). */
typedef struct cdq_queue_problem_stats {
    uint32_t size;            /* sizeof(cdq_queue_problem_stats) */
    uint32_t reserved;
    uint64_t problems;        /* CDQ_RECORD_PROBLEM records delivered */
    uint64_t by_kind[16];     /* indexed by CDQ_PROBLEM_* */
    uint64_t queue_losses;    /* CDQ_RECORD_QUEUE_LOST records delivered (0 or 1) */
} cdq_queue_problem_stats;

/* -ENOTCONN once detached. */
int cdq_queue_problem_stats_get(cdq_queue *queue, cdq_queue_problem_stats *stats);

/* ---- Simulated subsystem (for agents' own tests) ------------------ */

typedef struct cdq_simulator_config {
    uint32_t size;             /* sizeof(cdq_simulator_config) */
    uint32_t controllers;      /* migratable controllers, CNTLID 1...n (1...4096) */
    uint64_t namespace_blocks; /* capacity of each controller's namespace */
    uint32_t lba_size;         /* bytes per block, 512...65536 */
    uint32_t keep_data;        /* 1: namespaces keep data in memory; 0: discard */
} cdq_simulator_config;

void cdq_simulator_config_init(cdq_simulator_config *config);

/* Builds the subsystem and starts its controller thread. */
int cdq_simulator_create(const cdq_simulator_config *config, cdq_simulator **out);

/* Stops writers and the controller thread. -EBUSY while queues are attached. */
int cdq_simulator_destroy(cdq_simulator *simulator);

typedef struct cdq_writer_config {
    uint32_t size;               /* sizeof(cdq_writer_config) */
    uint32_t reserved;
    double writes_per_second;    /* per controller; 0: as fast as possible */
    uint64_t seed;               /* controller n's writer uses seed + n */
} cdq_writer_config;

void cdq_writer_config_init(cdq_writer_config *config);

/* One random writer thread per migratable controller (uniform LBAs, 1, 8
 * and 64 block writes). -EALREADY: writers are running. */
int cdq_simulator_start_writers(cdq_simulator *simulator, const cdq_writer_config *config);

/* Stops and joins the writer threads; afterwards their counts are final.
 * -EALREADY: none running. */
int cdq_simulator_stop_writers(cdq_simulator *simulator);

typedef struct cdq_writer_stats {
    uint32_t size;       /* sizeof(cdq_writer_stats) */
    uint32_t reserved;
    uint64_t operations; /* writes issued: each logs one entry while logging is on */
    uint64_t blocks;     /* blocks written */
    uint64_t errors;     /* operations that failed (e.g. controller suspended) */
    uint64_t lost;       /* changes the controller could not log (its queue was full) */
} cdq_writer_stats;

/* The writer of controller `cntlid` (counts since the first start). */
int cdq_simulator_writer_stats(cdq_simulator *simulator, uint16_t cntlid, cdq_writer_stats *stats);

/* Fault injection, so an agent can test what it does with a controller
 * that misbehaves (0.2). */

/* Controller `cntlid` posts these 32 bytes as its next entry, whatever
 * they say (only the phase tag is the queue's). -ENODEV: no such
 * controller; -EAGAIN: it has no queue, or its queue is full. */
int cdq_simulator_post_entry(cdq_simulator *simulator, uint16_t cntlid, const uint8_t entry[32]);

/* Controller `cntlid` deletes its queue on its own, as a reset would: the
 * engine then delivers a CDQ_RECORD_QUEUE_LOST record (within about a
 * second). -ENODEV: no such controller; -ENOENT: it has no queue. */
int cdq_simulator_delete_queue(cdq_simulator *simulator, uint16_t cntlid);

#ifdef __cplusplus
}
#endif
#endif /* CDQ_ENGINE_H */
