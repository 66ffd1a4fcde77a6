/*
 * qmp-cmd: a minimal QMP client used by build-guests.sh to stop a test
 * guest, ask QEMU's monitor for ground truth (registers, memory map) and
 * dump its memory, without needing python or socat on the host.
 *
 * Usage: qmp-cmd [-t SECONDS] SOCKET CMD...
 *   CMD "hmp:TEXT"  runs TEXT as a human-monitor-command and prints the
 *                   text QEMU returns (carriage returns dropped);
 *   CMD "{...}"     is sent verbatim as one QMP command; nothing is printed
 *                   on success.
 * The capabilities handshake is done first.  Commands run in order; the
 * first QMP error (printed on stderr) ends the run with status 1.  A
 * "quit" whose reply is lost because QEMU closed the socket counts as done.
 *
 * Host-only build helper: it trusts QEMU to send one JSON message per
 * line, which QMP does, and does not try to be a general JSON parser.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE (64u << 20) /* "info mtree" is big, but not that big */

static int sock = -1;
static int timeout_s = 120;
static char *buf;
static size_t blen, bcap;

static int send_all(const char *s)
{
    size_t len = strlen(s), done = 0;
    while (done < len) {
        ssize_t w = send(sock, s + done, len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* Returns one message line (NUL-terminated, newline removed) that stays
 * valid until the next call, or NULL on EOF/timeout/error with errno set. */
static char *read_line(void)
{
    static size_t consumed;
    if (consumed) {
        memmove(buf, buf + consumed, blen - consumed);
        blen -= consumed;
        consumed = 0;
    }
    time_t deadline = time(NULL) + timeout_s;
    for (;;) {
        char *nl = blen ? memchr(buf, '\n', blen) : NULL;
        if (nl) {
            *nl = '\0';
            if (nl > buf && nl[-1] == '\r')
                nl[-1] = '\0';
            consumed = (size_t)(nl - buf) + 1;
            return buf;
        }
        if (blen + 4096 + 1 > bcap) {
            if (bcap >= MAX_LINE) {
                errno = EMSGSIZE;
                return NULL;
            }
            size_t ncap = bcap ? bcap * 2 : 65536;
            char *n = realloc(buf, ncap);
            if (!n)
                return NULL;
            buf = n;
            bcap = ncap;
        }
        int left = (int)(deadline - time(NULL));
        if (left <= 0) {
            errno = ETIMEDOUT;
            return NULL;
        }
        struct pollfd p = {.fd = sock, .events = POLLIN};
        int pr = poll(&p, 1, left * 1000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            errno = pr == 0 ? ETIMEDOUT : errno;
            return NULL;
        }
        ssize_t r = recv(sock, buf + blen, bcap - blen - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            errno = r == 0 ? ECONNRESET : errno;
            return NULL;
        }
        blen += (size_t)r;
    }
}

/* Name of the first key of a JSON object line: "return", "error",
 * "event"-carrying lines start with "timestamp", the greeting with "QMP". */
static void first_key(const char *line, char *out, size_t cap)
{
    const char *p = line;
    out[0] = '\0';
    while (*p == ' ' || *p == '{')
        p++;
    if (*p++ != '"')
        return;
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < cap)
        out[n++] = *p++;
    out[n] = '\0';
}

static void put_utf8(unsigned cp)
{
    if (cp < 0x80) {
        putchar((int)cp);
    } else if (cp < 0x800) {
        putchar((int)(0xc0 | (cp >> 6)));
        putchar((int)(0x80 | (cp & 0x3f)));
    } else {
        putchar((int)(0xe0 | (cp >> 12)));
        putchar((int)(0x80 | ((cp >> 6) & 0x3f)));
        putchar((int)(0x80 | (cp & 0x3f)));
    }
}

/* Prints the JSON string value of the "return" key, if it is a string. */
static void print_return_string(const char *line)
{
    const char *p = strstr(line, "\"return\"");
    if (!p)
        return;
    p += 8;
    while (*p == ' ' || *p == ':')
        p++;
    if (*p++ != '"')
        return;
    for (; *p && *p != '"'; p++) {
        if (*p != '\\') {
            putchar(*p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': putchar('\n'); break;
        case 't': putchar('\t'); break;
        case 'r': break; /* HMP text uses \r\n; keep plain \n files */
        case 'b': putchar('\b'); break;
        case 'f': putchar('\f'); break;
        case 'u': {
            unsigned cp = 0;
            int i;
            for (i = 1; i <= 4 && p[i]; i++) {
                char c = p[i];
                cp = cp * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            p += i - 1;
            put_utf8(cp);
            break;
        }
        case '\0': return;
        default: putchar(*p); break; /* \" \\ \/ */
        }
    }
}

/* Sends one command and waits for its reply, skipping asynchronous events. */
static int run(const char *json, int print_string, int is_quit)
{
    /* One write per command: QEMU may close the socket right after a quit. */
    size_t len = strlen(json);
    char *msg = malloc(len + 2);
    if (!msg)
        return -1;
    memcpy(msg, json, len);
    strcpy(msg + len, "\n");
    int sent = send_all(msg);
    free(msg);
    if (sent != 0) {
        if (is_quit)
            return 0;
        fprintf(stderr, "qmp-cmd: send failed: %s\n", strerror(errno));
        return -1;
    }
    for (;;) {
        char *line = read_line();
        if (!line) {
            if (is_quit)
                return 0;
            fprintf(stderr, "qmp-cmd: no reply to %s: %s\n", json, strerror(errno));
            return -1;
        }
        char key[32];
        first_key(line, key, sizeof(key));
        if (strcmp(key, "return") == 0) {
            if (print_string)
                print_return_string(line);
            return 0;
        }
        if (strcmp(key, "error") == 0) {
            fprintf(stderr, "qmp-cmd: %s failed: %s\n", json, line);
            return -1;
        }
    }
}

/* Builds {"execute":"human-monitor-command",...} with TEXT escaped. */
static char *hmp_json(const char *text)
{
    size_t cap = strlen(text) * 6 + 128;
    char *j = malloc(cap), *o;
    if (!j)
        return NULL;
    o = j + sprintf(j, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"");
    for (const char *t = text; *t; t++) {
        unsigned char c = (unsigned char)*t;
        if (c == '"' || c == '\\')
            o += sprintf(o, "\\%c", c);
        else if (c < 0x20)
            o += sprintf(o, "\\u%04x", c);
        else
            *o++ = (char)c;
    }
    strcpy(o, "\"}}");
    return j;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-t") == 0) {
        timeout_s = atoi(argv[i + 1]);
        i += 2;
    }
    if (argc - i < 1 || timeout_s <= 0) {
        fprintf(stderr, "usage: qmp-cmd [-t SECONDS] SOCKET CMD...\n");
        return 2;
    }
    const char *path = argv[i++];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "qmp-cmd: socket path too long: %s\n", path);
        return 2;
    }
    strcpy(sa.sun_path, path);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "qmp-cmd: connect %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *greet = read_line();
    char key[32];
    if (greet)
        first_key(greet, key, sizeof(key));
    if (!greet || strcmp(key, "QMP") != 0) {
        fprintf(stderr, "qmp-cmd: no QMP greeting on %s\n", path);
        return 1;
    }
    if (run("{\"execute\":\"qmp_capabilities\"}", 0, 0) != 0)
        return 1;
    for (; i < argc; i++) {
        int rc;
        if (strncmp(argv[i], "hmp:", 4) == 0) {
            char *j = hmp_json(argv[i] + 4);
            if (!j)
                return 1;
            rc = run(j, 1, 0);
            free(j);
        } else {
            rc = run(argv[i], 0, strstr(argv[i], "\"quit\"") != NULL);
        }
        if (rc != 0)
            return 1;
    }
    if (fflush(stdout) != 0)
        return 1;
    close(sock);
    free(buf);
    return 0;
}
