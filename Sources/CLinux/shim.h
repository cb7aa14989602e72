#ifndef RESPALDO_CLINUX_SHIM_H
#define RESPALDO_CLINUX_SHIM_H

// Linux interfaces that Swift's Glibc module does not export: timerfd (a wall-clock timer
// that the kernel cancels when the clock is set, so the daemon re-arms instead of sleeping
// through a clock change) and eventfd (to wake the scheduler from a signal thread).
#include <sys/timerfd.h>
#include <sys/eventfd.h>

#endif
