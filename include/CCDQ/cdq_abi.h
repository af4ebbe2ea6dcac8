/*
 * cdq_abi.h - the C ABI this project shares with the Linux kernel.
 *
 * Everything here is either a kernel or liburing definition, or a small
 * inline helper for something Swift cannot express (function-like macros
 * such as _IOR/_IOWR, variadic ioctl(2)). Nothing else is written in C.
 *
 * Include order matters (see docs/abi.md):
 *  1. <sys/socket.h> first: liburing defines _XOPEN_SOURCE, which otherwise
 *     clashes with Glibc's fd_set inside the Clang module.
 *  2. <linux/io_uring.h> before <liburing.h>: swift-system's CSystem pulls in
 *     the kernel header, and liburing's private copy declares rw_flags with a
 *     different type; the kernel's must win.
 */
#ifndef CDQ_ABI_H
#define CDQ_ABI_H

#include <sys/socket.h>
#include <linux/io_uring.h>
#include <liburing.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/types.h>
#include <linux/nvme_ioctl.h>
#include <linux/fs.h>

/*
 * The Controller Data Queue ioctl of the Linux RFC "nvme: Controller Data
 * Queue (CDQ) support" (April 2026), on the controller character device
 * /dev/nvmeN. Natural alignment, 32 bytes. See docs/abi.md.
 */
#ifndef NVME_IOCTL_CDQ
struct nvme_cdq_cmd {
    __u32 size_nbyte;   /* queue size in bytes; 0 = delete queue `id` */
    __u64 entries;      /* user virtual address of the zeroed queue memory */
    int   tpt_fd;       /* eventfd for tail pointer events, -1 = none */
    __u16 id;           /* out: CDQID (in: the CDQID to delete) */
    __u16 cqs;          /* CNTLID of the migratable controller */
    __u16 mos;          /* management operation specific: queue type etc. */
};

/* The RFC defines it _IOR although the kernel copies the struct back. */
#define NVME_IOCTL_CDQ _IOR('N', 0x50, struct nvme_cdq_cmd)
#endif

/* Request numbers as plain values: Swift does not import _IOR/_IOWR. */
static inline unsigned long cdq_ioctl_number_cdq(void) { return NVME_IOCTL_CDQ; }
static inline unsigned int cdq_uring_cmd_admin(void) { return NVME_URING_CMD_ADMIN; }
static inline unsigned int cdq_uring_cmd_io(void) { return NVME_URING_CMD_IO; }
static inline unsigned long cdq_ioctl_number_id(void) { return NVME_IOCTL_ID; }
static inline unsigned int cdq_sqe_flag_skip_success(void) { return IOSQE_CQE_SKIP_SUCCESS; }

/* The _IOC encoding pieces, so tests can check the numbers independently. */
static inline unsigned int cdq_ioc_read(void) { return _IOC_READ; }
static inline unsigned int cdq_ioc_write(void) { return _IOC_WRITE; }
static inline unsigned int cdq_ioc_dirshift(void) { return _IOC_DIRSHIFT; }
static inline unsigned int cdq_ioc_sizeshift(void) { return _IOC_SIZESHIFT; }
static inline unsigned int cdq_ioc_typeshift(void) { return _IOC_TYPESHIFT; }
static inline unsigned int cdq_ioc_nrshift(void) { return _IOC_NRSHIFT; }

/* Field offsets as the C compiler sees them (tests compare with Swift). */
static inline size_t cdq_cmd_size(void) { return sizeof(struct nvme_cdq_cmd); }
static inline size_t cdq_cmd_offset_size_nbyte(void) { return offsetof(struct nvme_cdq_cmd, size_nbyte); }
static inline size_t cdq_cmd_offset_entries(void) { return offsetof(struct nvme_cdq_cmd, entries); }
static inline size_t cdq_cmd_offset_tpt_fd(void) { return offsetof(struct nvme_cdq_cmd, tpt_fd); }
static inline size_t cdq_cmd_offset_id(void) { return offsetof(struct nvme_cdq_cmd, id); }
static inline size_t cdq_cmd_offset_cqs(void) { return offsetof(struct nvme_cdq_cmd, cqs); }
static inline size_t cdq_cmd_offset_mos(void) { return offsetof(struct nvme_cdq_cmd, mos); }
static inline size_t cdq_uring_cmd_size(void) { return sizeof(struct nvme_uring_cmd); }
static inline size_t cdq_uring_cmd_offset_addr(void) { return offsetof(struct nvme_uring_cmd, addr); }
static inline size_t cdq_uring_cmd_offset_cdw10(void) { return offsetof(struct nvme_uring_cmd, cdw10); }
static inline size_t cdq_uring_cmd_offset_timeout(void) { return offsetof(struct nvme_uring_cmd, timeout_ms); }
static inline size_t cdq_sqe_offset_cmd(void) { return offsetof(struct io_uring_sqe, cmd); }
static inline size_t cdq_cqe_offset_big_cqe(void) { return offsetof(struct io_uring_cqe, big_cqe); }

/* ioctl(2) is variadic, which Swift cannot call; these wrappers fix the type. */
static inline int cdq_ioctl_cdq(int fd, struct nvme_cdq_cmd *cmd) {
    return ioctl(fd, NVME_IOCTL_CDQ, cmd);
}
static inline int cdq_ioctl_nsid(int fd) { return ioctl(fd, NVME_IOCTL_ID); }
/* A block device's size in bytes (BLKGETSIZE64) and logical block size (BLKSSZGET). */
static inline int cdq_ioctl_block_bytes(int fd, uint64_t *bytes) { return ioctl(fd, BLKGETSIZE64, bytes); }
static inline int cdq_ioctl_block_size(int fd, int *size) { return ioctl(fd, BLKSSZGET, size); }

/*
 * The phase byte of a CDQ entry is the DMA "doorbell" of that entry: the
 * producer stores it last with release ordering, the consumer loads it with
 * acquire ordering before reading the other 31 bytes (cdq-protocol.md §3).
 * Queue memory is raw bytes shared with a device, so these work on a plain
 * byte address instead of a typed Swift atomic.
 */
static inline void cdq_store_release_u8(uint8_t *address, uint8_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}
static inline uint8_t cdq_load_acquire_u8(const uint8_t *address) {
    return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}

/*
 * prctl(2) is variadic too. The calling thread's timer slack in nanoseconds:
 * how late the kernel may wake its timed sleeps (default 50 us), which the
 * simulated controller's admin timing shrinks to 1 ns.
 */
static inline int cdq_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

/* The calling thread's name (at most 15 bytes are kept), as `top -H`,
 * `perf` and /proc/PID/task/TID/comm show it. */
static inline int cdq_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/*
 * poll(2) counts milliseconds; ppoll(2), which Glibc hides from Swift, counts
 * nanoseconds. Waits until `fd` is readable or `timeout_ns` pass (< 0: no
 * limit); ppoll's result (-1 and errno on failure, EINTR included).
 */
static inline int cdq_poll_readable_ns(int fd, int64_t timeout_ns) {
    struct pollfd descriptor = { .fd = fd, .events = POLLIN, .revents = 0 };
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return (int)syscall(SYS_ppoll, &descriptor, 1, timeout_ns < 0 ? NULL : &timeout, NULL, 0);
}

/*
 * futex(2) has no Glibc wrapper. One thread sleeps while the 32-bit word at
 * `word` still holds `expected` (at most `timeout_ns`; < 0: no limit);
 * another wakes it after changing the word. Private to the process. Result:
 * 0 when woken, -1 and errno otherwise (EAGAIN: the word had changed;
 * ETIMEDOUT; EINTR).
 */
static inline int cdq_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return (int)syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout_ns < 0 ? NULL : &timeout, NULL, 0);
}
static inline int cdq_futex_wake(uint32_t *word, int waiters) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, waiters, NULL, NULL, 0);
}

/* errno as an lvalue-free read, for call sites that must not race Swift code. */
static inline int cdq_errno(void) { return errno; }

#endif /* CDQ_ABI_H */
