/*
 * qemu_sock.c - buffered UNIX socket with deadlines (see qemu_sock.h).
 */
#include "driver/qemu_sock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/strutil.h"

int64_t qemu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Remember the first failure; every later call repeats it. */
static void fail(qemu_sock_t *s, util_err_t *err, const char *happened, const char *detail)
{
    if (!s->gone) {
        util_err_set(&s->why, "%s socket %s %s (%s)", s->what, s->path, happened, detail);
        s->gone = true;
    }
    util_err_set(err, "%s", s->why.msg);
}

status_t qemu_sock_connect(qemu_sock_t *s, const char *path, const char *what, size_t max,
                           util_err_t *err)
{
    struct sockaddr_un sa;

    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->what = what;
    s->max = max;
    if (util_strlcpy(s->path, path, sizeof(s->path)) >= sizeof(s->path) ||
        util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path)) {
        util_err_set(err, "%s socket path is longer than a UNIX socket allows (%zu bytes): %s",
                     what, sizeof(sa.sun_path) - 1, path);
        return VMI_FAILURE;
    }
    sa.sun_family = AF_UNIX;
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        util_err_set(err, "%s: socket(): %s", what, strerror(errno));
        return VMI_FAILURE;
    }
    if (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        util_err_set(err, "cannot connect to %s socket %s: %s", what, path, strerror(errno));
        close(s->fd);
        s->fd = -1;
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

void qemu_sock_close(qemu_sock_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

status_t qemu_sock_send(qemu_sock_t *s, const void *data, size_t len, util_err_t *err)
{
    const char *p = data;

    if (s->gone || s->fd < 0) {
        fail(s, err, "is not connected", "no connection");
        return VMI_FAILURE;
    }
    while (len) {
        ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(s, err, "failed while sending: QEMU has gone",
                 n < 0 ? strerror(errno) : "nothing sent");
            return VMI_FAILURE;
        }
        p += n;
        len -= (size_t)n;
    }
    return VMI_SUCCESS;
}

int qemu_sock_fill(qemu_sock_t *s, int64_t deadline_ms, util_err_t *err)
{
    if (s->gone || s->fd < 0) {
        fail(s, err, "is not connected", "no connection");
        return -1;
    }
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8192;
        char *b;
        if (cap > s->max)
            cap = s->max;
        if (cap <= s->len) {
            fail(s, err, "sent a message longer than the limit", "refused");
            return -1;
        }
        if (!(b = realloc(s->buf, cap))) {
            util_err_set(err, "%s: out of memory for a %zu-byte buffer", s->what, cap);
            return -1;
        }
        s->buf = b;
        s->cap = cap;
    }
    for (;;) {
        int64_t left = deadline_ms - qemu_now_ms();
        struct pollfd p = { s->fd, POLLIN, 0 };
        int r = poll(&p, 1, left > 0 ? (int)(left > 1000000 ? 1000000 : left) : 0);
        ssize_t n;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(s, err, "cannot be polled", strerror(errno));
            return -1;
        }
        if (r == 0)
            return 0;
        n = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            fail(s, err, "closed: QEMU has gone", n < 0 ? strerror(errno) : "end of stream");
            return -1;
        }
        s->len += (size_t)n;
        return 1;
    }
}

void qemu_sock_consume(qemu_sock_t *s, size_t n)
{
    if (n >= s->len) {
        s->len = 0;
        return;
    }
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

bool qemu_sock_alive(qemu_sock_t *s, util_err_t *err)
{
    char c;
    ssize_t n;

    if (s->gone || s->fd < 0) {
        fail(s, err, "is not connected", "no connection");
        return false;
    }
    n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        fail(s, err, "closed: QEMU has gone", n < 0 ? strerror(errno) : "end of stream");
        return false;
    }
    return true;
}
