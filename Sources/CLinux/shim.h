#ifndef RESPALDO_CLINUX_SHIM_H
#define RESPALDO_CLINUX_SHIM_H

// Linux interfaces that Swift's Glibc module does not export: timerfd (a wall-clock timer
// that the kernel cancels when the clock is set, so the daemon re-arms instead of sleeping
// through a clock change), eventfd (to wake the scheduler from a signal thread), extended
// attributes (a file's POSIX ACL, for check-config's "can the service user read it"),
// ioprio_set, which glibc does not wrap (a job's `ionice`), and a spawn that posix_spawn cannot
// do (PR_SET_PDEATHSIG, and the dump's own nice and ionice).
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// The I/O priority encoding of linux/ioprio.h: class in the top bits, level below.
#define RESPALDO_IOPRIO_CLASS_SHIFT 13
#define RESPALDO_IOPRIO_WHO_PROCESS 1

/// ioprio_set(2) for the calling thread (who 0), which a child then inherits.
static inline int respaldo_ioprio_set_self(int ioprio_class, int level) {
    return (int)syscall(SYS_ioprio_set, RESPALDO_IOPRIO_WHO_PROCESS, 0,
                        (ioprio_class << RESPALDO_IOPRIO_CLASS_SHIFT) | level);
}

// What the child of respaldo_spawn reports through its pipe: a step that failed and its errno.
// An exec failure ends the child; a refused nice or ionice is only a warning (the backup
// matters more than its manners).
#define RESPALDO_SPAWN_EXEC_FAILED 0
#define RESPALDO_SPAWN_NICE_REFUSED 1
#define RESPALDO_SPAWN_IONICE_REFUSED 2

// Makes `fd` the child's descriptor `target`, open across exec.
static inline int respaldo_child_fd(int fd, int target) {
    if (fd < 0) return 0;
    if (fd == target) return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

static inline void respaldo_child_report(int fd, int step, int code) {
    int record[2] = {step, code};
    (void)!write(fd, record, sizeof record);
}

// Starts `path` (absolute) with `argv` and `envp` in a child that:
// - leads a process group of its own (so stopping it reaches whatever it starts);
// - gets SIGKILL when the thread that forked it dies (PR_SET_PDEATHSIG), so a dump or a psql
//   session never outlives a respaldo that was SIGKILLed or crashed. The caller forks from a
//   thread that lives as long as the process (Spawner.swift), which makes that "the process";
// - runs at niceness `nice_value` (unless it is -1) and I/O priority `io_class`/`io_level`
//   (unless the class is -1), set in the child itself, so respaldo keeps its own;
// - has the descriptors given (-1: left as inherited) as stdin, stdout and stderr, and every
//   signal unblocked and at its default action.
// Between fork and exec the child calls only async-signal-safe functions (the parent has other
// threads, whose locks may be held). Returns the child's pid, or -1 with `*error` set to why it
// could not start (fork, or the exec itself: reported through a close-on-exec pipe, as
// posix_spawn does). A refused nice or ionice leaves its errno in `warnings[0]` or
// `warnings[1]` (else 0). `report` is a pipe whose ends are both close-on-exec; it is closed
// here.
static inline pid_t respaldo_spawn(const char *path, char *const argv[], char *const envp[],
                                   int stdin_fd, int stdout_fd, int stderr_fd,
                                   int nice_value, int io_class, int io_level,
                                   const int report[2], int *error, int warnings[2]) {
    warnings[0] = 0;
    warnings[1] = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        struct sigaction action;
        sigset_t none;
        if (setpgid(0, 0) != 0) goto failed;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) goto failed;
        // The parent died before prctl took effect: nothing would ever stop this child.
        if (getppid() != parent) _exit(127);
        if (nice_value != -1 && setpriority(PRIO_PROCESS, 0, nice_value) != 0) {
            respaldo_child_report(report[1], RESPALDO_SPAWN_NICE_REFUSED, errno);
        }
        if (io_class != -1 && respaldo_ioprio_set_self(io_class, io_level) != 0) {
            respaldo_child_report(report[1], RESPALDO_SPAWN_IONICE_REFUSED, errno);
        }
        if (respaldo_child_fd(stdin_fd, 0) != 0 || respaldo_child_fd(stdout_fd, 1) != 0
            || respaldo_child_fd(stderr_fd, 2) != 0) goto failed;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) (void)sigaction(s, &action, NULL);
        }
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) goto failed;
        execve(path, argv, envp);
    failed:
        respaldo_child_report(report[1], RESPALDO_SPAWN_EXEC_FAILED, errno);
        _exit(127);
    }
    close(report[1]);
    int failure = -1;
    int record[2];
    for (;;) {
        ssize_t got = read(report[0], record, sizeof record);
        if (got < 0 && errno == EINTR) continue;
        if (got != (ssize_t)sizeof record) break;  // end of file: the exec succeeded
        if (record[0] == RESPALDO_SPAWN_EXEC_FAILED) failure = record[1];
        else if (record[0] == RESPALDO_SPAWN_NICE_REFUSED) warnings[0] = record[1];
        else if (record[0] == RESPALDO_SPAWN_IONICE_REFUSED) warnings[1] = record[1];
    }
    close(report[0]);
    if (failure != -1) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        *error = failure;
        return -1;
    }
    return pid;
}

#endif
