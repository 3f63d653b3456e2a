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

/* Reads the child's output until it closes it or the deadline passes. */
static bool read_output(int fd, const struct timespec *deadline, buf *out, buf *err)
{
    char chunk[4096];
    bool ok = false;
    for (;;) {
        long left = ms_left(deadline);
        if (left <= 0) {
            buf_printf(err, "did not finish in %d s", CREDENTIALS_PROCESS_TIMEOUT_MS / 1000);
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

cred_result credentials_from_process(const char *command, time_t now, const char *source,
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
    if (!file_actions_ready || posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1) != 0) {
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
    deadline.tv_sec += CREDENTIALS_PROCESS_TIMEOUT_MS / 1000;
    buf why;
    buf_init(&why, 256);
    bool read_ok = read_output(pipefd[0], &deadline, &output, &why);
    if (!read_ok) {
        kill(pid, SIGKILL);
        buf_printf(err, "credential_process %s", buf_cstr(&why));
    }
    buf_free(&why);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    spawned = false;
    if (!read_ok)
        goto cleanup;
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
