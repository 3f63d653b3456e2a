#include "credentials_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wipe.h"

extern char **environ;

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void timed_out(long timeout_ms, buf *err)
{
    buf_printf(err, "did not finish in %ld s", timeout_ms / 1000);
}

/* Reads the child's output until it closes it or the deadline passes. */
static bool read_output(int fd, const struct timespec *deadline, long timeout_ms, buf *out, buf *err)
{
    char chunk[4096];
    bool ok = false;
    for (;;) {
        long left = ms_left(deadline);
        if (left <= 0) {
            timed_out(timeout_ms, err);
            break;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0) {
            buf_printf(err, "poll: %s", strerror(errno));
            break;
        }
        if (rc == 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            buf_printf(err, "read: %s", strerror(errno));
            break;
        }
        if (n == 0) {
            ok = true;
            break;
        }
        if (!buf_append(out, chunk, (size_t)n)) {
            buf_append_str(err, "its output is too large");
            break;
        }
    }
    wipe(chunk, sizeof chunk); /* it held the credentials too */
    return ok;
}

/* Reaps the child once it has ended, or gives up at the deadline (a command may
 * close its output and go on). */
static bool wait_until(pid_t pid, const struct timespec *deadline, long timeout_ms, int *status, buf *err)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR) {
            buf_printf(err, "waitpid: %s", strerror(errno));
            return false;
        }
        long left = ms_left(deadline);
        if (left <= 0) {
            timed_out(timeout_ms, err);
            return false;
        }
        struct timespec pause = { 0, (left < 10 ? left : 10) * 1000000L };
        nanosleep(&pause, NULL);
    }
}

cred_result credentials_from_process(const char *command, long timeout_ms, time_t now, const char *source,
                                     aws_credentials *out, buf *err)
{
    cred_result r = CRED_FAILED;
    int pipefd[2] = { -1, -1 };
    pid_t pid = -1;
    bool spawned = false, file_actions_ready = false;
    posix_spawn_file_actions_t fa;
    buf output;
    buf_init_secret(&output, CREDENTIALS_ANSWER_MAX);
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        buf_printf(err, "credential_process: pipe: %s", strerror(errno));
        goto cleanup;
    }
    file_actions_ready = posix_spawn_file_actions_init(&fa) == 0;
    bool actions = file_actions_ready && posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
                   posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1) == 0;
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
    /* nothing else of s3mpu's: libfcgi's sockets lack close-on-exec, as may others */
    actions = actions && posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0;
#endif
    if (!actions) {
        buf_append_str(err, "credential_process: out of memory");
        goto cleanup;
    }
    char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
    int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
    if (rc != 0) {
        buf_printf(err, "credential_process: cannot start /bin/sh: %s", strerror(rc));
        goto cleanup;
    }
    spawned = true;
    close(pipefd[1]);
    pipefd[1] = -1;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += timeout_ms % 1000 * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    buf why;
    buf_init(&why, 256);
    int status = 0;
    bool ended = read_output(pipefd[0], &deadline, timeout_ms, &output, &why) &&
                 wait_until(pid, &deadline, timeout_ms, &status, &why);
    if (ended)
        spawned = false; /* reaped */
    else
        buf_printf(err, "credential_process %s", buf_cstr(&why));
    buf_free(&why);
    if (!ended)
        goto cleanup; /* where it is killed and reaped */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            buf_printf(err, "credential_process exited with status %d", WEXITSTATUS(status));
        else
            buf_printf(err, "credential_process was killed by signal %d", WTERMSIG(status));
        goto cleanup;
    }
    buf why_json;
    buf_init(&why_json, 512);
    if (credentials_parse_json(buf_slice(&output), CREDENTIALS_JSON_PROCESS, now, source, out, &why_json))
        r = CRED_OK;
    else
        buf_printf(err, "credential_process: %s", buf_cstr(&why_json));
    buf_free(&why_json);
cleanup:
    if (spawned) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (file_actions_ready)
        posix_spawn_file_actions_destroy(&fa);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    buf_free(&output);
    return r;
}
