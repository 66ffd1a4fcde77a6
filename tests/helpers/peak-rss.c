/*
 * peak-rss - run a command and write "EXIT PEAK_KIB" of it to a file: the
 * peak resident set of that process alone.  A script cannot get it by
 * itself: a child forked from python or from a shell starts with the
 * parent's resident pages, and the kernel keeps that figure across exec
 * (it would count 14 MB of python for a 5 MB tool).  This program is small
 * and static, so what it counts is the command's.
 *
 *   peak-rss OUT CMD [ARG...]     (stdout and stderr are the command's)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT CMD [ARG...]\n", argv[0]);
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak-rss: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("peak-rss: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("peak-rss: wait4");
        return 2;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("peak-rss: output file");
        return 2;
    }
    fprintf(f, "%d %ld\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            ru.ru_maxrss);
    return fclose(f) == 0 ? 0 : 2;
}
