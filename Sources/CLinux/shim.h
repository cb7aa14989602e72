#ifndef RESPALDO_CLINUX_SHIM_H
#define RESPALDO_CLINUX_SHIM_H

// Linux interfaces that Swift's Glibc module does not export: timerfd (a wall-clock timer
// that the kernel cancels when the clock is set, so the daemon re-arms instead of sleeping
// through a clock change), eventfd (to wake the scheduler from a signal thread), extended
// attributes (a file's POSIX ACL, for check-config's "can the service user read it"), and
// ioprio_set, which glibc does not wrap (a job's `ionice`).
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

// The I/O priority encoding of linux/ioprio.h: class in the top bits, level below.
#define RESPALDO_IOPRIO_CLASS_SHIFT 13
#define RESPALDO_IOPRIO_WHO_PROCESS 1

/// ioprio_set(2) for the calling thread (who 0), which a child then inherits.
static inline int respaldo_ioprio_set_self(int ioprio_class, int level) {
    return (int)syscall(SYS_ioprio_set, RESPALDO_IOPRIO_WHO_PROCESS, 0,
                        (ioprio_class << RESPALDO_IOPRIO_CLASS_SHIFT) | level);
}

#endif
