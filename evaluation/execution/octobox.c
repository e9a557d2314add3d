/* octobox: run one command in a throwaway sandbox. Built once by evaluation/execution/sandbox.py (gcc).
 *
 * Must start as root (or with CAP_SYS_ADMIN). Layout of what it does:
 *   outer (host namespaces)  unshare(mount, pid, net, ipc, uts) -> fork
 *   init  (pid 1 of the ns)  private mount tree; every existing mount made read-only (recursive);
 *                            fresh tmpfs on /tmp /var/tmp /dev/shm /run/lock and on --mask dirs
 *                            (e.g. /root, mode 0700 there); --ro / --rw paths bound back at the same
 *                            path; new /proc; then fork the command and reap everything.
 *   cmd                      setsid, rlimits, drop to --uid/--gid (no groups, no capabilities,
 *                            no_new_privs), chdir --chdir, exec.
 * When the command exits, init exits and the kernel kills every process left in the pid namespace;
 * SIGTERM/SIGINT/SIGALRM (--wall) to the outer process kill init, and the outer then waits until the
 * namespace is empty; when the outer process is killed, init dies through PDEATHSIG and takes the tree
 * with it; the outer itself dies with its caller (PDEATHSIG).
 * The new network namespace has only a loopback device that is down: no network at all.
 *
 * Exit status: the command's exit code, or 128+signal when it was killed by a signal;
 * 125 with a line "octobox: ..." on --status-fd (default stderr) when the sandbox could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <poll.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#define MAXP 64

static int status_fd = 2;

/* Setup errors go to --status-fd (close-on-exec, so the sandboxed program can never write there and
   fake one); the caller tells them apart from anything the program prints. */
static void die(const char *fmt, ...) {
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "octobox: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(msg + n, sizeof msg - n, fmt, ap);
    va_end(ap);
    if (errno && n < (int)sizeof msg) n += snprintf(msg + n, sizeof msg - n, ": %s", strerror(errno));
    if (n >= (int)sizeof msg) n = sizeof msg - 1;
    msg[n++] = '\n';
    if (write(status_fd, msg, n) < 0) { /* nothing left to report to */ }
    _exit(125);
}

struct bindp { const char *path; int fd; int rw; };

static struct bindp binds[MAXP];
static int nbinds = 0;
static const char *masks[MAXP];
static int nmasks = 0;
static uid_t uid = 65534;
static gid_t gid = 65534;
static const char *chdir_to = "/";
static long long lim_data = -1, lim_as = -1, lim_nproc = -1, lim_fsize = -1, lim_nofile = -1, lim_cpu = -1;
static long long tmpfs_mb = 64;
static long long wall_s = 0;
static const char *cgroup_procs = NULL;  /* --cgroup: join this cgroup.procs before anything else */
static int pass_fd = -1;  /* --pass-fd: becomes fd 3 of the command (the completion channel) */

static void mkdir_p(const char *path, mode_t mode) {
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) { errno = ENAMETOOLONG; die("path too long %s", path); }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, mode) && errno != EEXIST) die("mkdir %s", buf);
            *p = '/';
        }
    }
    if (mkdir(buf, mode) && errno != EEXIST) die("mkdir %s", buf);
    errno = 0;
}

static void set_rlimit(int res, long long v, const char *name) {
    if (v < 0) return;
    struct rlimit rl = { (rlim_t)v, (rlim_t)v };
    if (res == RLIMIT_CPU) rl.rlim_max = (rlim_t)v + 1;  /* SIGXCPU first, SIGKILL a second later */
    if (setrlimit(res, &rl)) die("setrlimit %s", name);
}

static void mount_tmpfs(const char *dir, const char *mode) {
    char opts[128];
    snprintf(opts, sizeof opts, "mode=%s,size=%lldm,nr_inodes=16384", mode, tmpfs_mb);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) die("mount tmpfs on %s", dir);
}

static void setup_mounts(void) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    /* Grab the paths to re-expose before anything is covered. */
    for (int i = 0; i < nbinds; i++) {
        binds[i].fd = open(binds[i].path, O_PATH | O_CLOEXEC);
        if (binds[i].fd < 0) die("open %s", binds[i].path);
    }
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr))
        die("make / read-only");
    const char *tmpdirs[] = { "/tmp", "/var/tmp", "/dev/shm", "/run/lock" };
    for (size_t i = 0; i < sizeof tmpdirs / sizeof *tmpdirs; i++) {
        struct stat st;
        if (stat(tmpdirs[i], &st) == 0 && S_ISDIR(st.st_mode)) mount_tmpfs(tmpdirs[i], "1777");
    }
    for (int i = 0; i < nmasks; i++) {
        /* A mask under one of the fresh tmpfs dirs (e.g. a 0700 dir in /tmp) must be made there first. */
        mkdir_p(masks[i], 0755);
        mount_tmpfs(masks[i], "0755");
    }
    for (int i = 0; i < nbinds; i++) {
        char src[64];
        snprintf(src, sizeof src, "/proc/self/fd/%d", binds[i].fd);
        struct stat st;
        if (fstat(binds[i].fd, &st)) die("stat %s", binds[i].path);
        if (S_ISDIR(st.st_mode)) {
            mkdir_p(binds[i].path, 0755);
        } else {
            /* A file: make its parent, then an empty file to mount on (on tmpfs this is allowed). */
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", binds[i].path);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
            int f = open(binds[i].path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (f >= 0) close(f);
            errno = 0;
        }
        if (mount(src, binds[i].path, NULL, MS_BIND | MS_REC, NULL)) die("bind %s", binds[i].path);
        struct mount_attr a = { 0 };
        if (binds[i].rw) a.attr_clr = MOUNT_ATTR_RDONLY;
        else a.attr_set = MOUNT_ATTR_RDONLY;
        a.attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        if (syscall(SYS_mount_setattr, AT_FDCWD, binds[i].path, 0, &a, sizeof a))
            die("set attributes of %s", binds[i].path);
        close(binds[i].fd);
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount /proc");
    errno = 0;
}

static void exec_command(char **argv) {
    if (setsid() < 0) die("setsid");
    set_rlimit(RLIMIT_CORE, 0, "core");
    set_rlimit(RLIMIT_DATA, lim_data, "data");
    set_rlimit(RLIMIT_AS, lim_as, "as");
    set_rlimit(RLIMIT_NPROC, lim_nproc, "nproc");
    set_rlimit(RLIMIT_FSIZE, lim_fsize, "fsize");
    set_rlimit(RLIMIT_NOFILE, lim_nofile, "nofile");
    set_rlimit(RLIMIT_CPU, lim_cpu, "cpu");
    if (pass_fd >= 0) {
        /* dup2 clears close-on-exec on fd 3; the original number is close-on-exec and goes away. */
        if (pass_fd == 3) { if (fcntl(3, F_SETFD, 0)) die("pass fd 3"); }
        else if (dup2(pass_fd, 3) != 3) die("dup2 pass fd %d", pass_fd);
        /* The program's own pipe inode (root's 0600 otherwise): lets a JVM reopen it via /proc/self/fd/3. */
        if (fchown(3, uid, gid)) die("chown pass fd");
    }
    if (setgroups(0, NULL)) die("setgroups");
    if (setresgid(gid, gid, gid)) die("setresgid");
    if (setresuid(uid, uid, uid)) die("setresuid");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
    if (chdir(chdir_to)) die("chdir %s", chdir_to);
    /* Default signal dispositions for the program (the init process ignores some). */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    execvp(argv[0], argv);
    die("exec %s", argv[0]);
}

static int status_code(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 125;
}

static volatile pid_t init_pid = 0;

/* Outer process: SIGTERM/SIGINT (the caller's timeout) kill the namespace's init; the outer then waits
   for init, and init is only reaped once every process of its pid namespace is gone, so when the outer
   exits the whole tree is dead (SIGKILL of the outer works too, via PDEATHSIG, but asynchronously). */
static void on_term(int sig) {
    (void)sig;
    if (init_pid > 0) kill(init_pid, SIGKILL);
}

static void usage(void) {
    fputs("usage: octobox [--uid N] [--gid N] [--chdir DIR] [--ro PATH]... [--rw PATH]... [--mask DIR]...\n"
          "               [--data BYTES] [--as BYTES] [--nproc N] [--fsize BYTES] [--nofile N] [--cpu S]\n"
          "               [--tmpfs-mb N] [--wall S] [--status-fd FD] [--pass-fd FD]\n"
          "               [--cgroup CGROUP_PROCS_FILE] -- COMMAND [ARG]...\n", stderr);
    _exit(125);
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--uid")) uid = (uid_t)atoll(v);
        else if (!strcmp(a, "--gid")) gid = (gid_t)atoll(v);
        else if (!strcmp(a, "--chdir")) chdir_to = v;
        else if (!strcmp(a, "--ro") || !strcmp(a, "--rw")) {
            if (nbinds == MAXP) usage();
            if (v[0] != '/') { errno = 0; die("bind path must be absolute: %s", v); }
            binds[nbinds].path = v; binds[nbinds].rw = !strcmp(a, "--rw"); nbinds++;
        } else if (!strcmp(a, "--mask")) {
            if (nmasks == MAXP) usage();
            masks[nmasks++] = v;
        }
        else if (!strcmp(a, "--data")) lim_data = atoll(v);
        else if (!strcmp(a, "--as")) lim_as = atoll(v);
        else if (!strcmp(a, "--nproc")) lim_nproc = atoll(v);
        else if (!strcmp(a, "--fsize")) lim_fsize = atoll(v);
        else if (!strcmp(a, "--nofile")) lim_nofile = atoll(v);
        else if (!strcmp(a, "--cpu")) lim_cpu = atoll(v);
        else if (!strcmp(a, "--tmpfs-mb")) tmpfs_mb = atoll(v);
        else if (!strcmp(a, "--wall")) wall_s = atoll(v);
        else if (!strcmp(a, "--cgroup")) cgroup_procs = v;
        else if (!strcmp(a, "--pass-fd")) {
            pass_fd = atoi(v);
            if (pass_fd < 0 || fcntl(pass_fd, F_SETFD, FD_CLOEXEC)) die("pass fd %d", pass_fd);
        }
        else if (!strcmp(a, "--status-fd")) {
            status_fd = atoi(v);
            if (fcntl(status_fd, F_SETFD, FD_CLOEXEC)) die("status fd %d", status_fd);
        }
        else usage();
    }
    if (i >= argc) usage();
    char **cmd = argv + i;
    if (pass_fd >= 0 && status_fd == 3) {
        /* fd 3 is about to become the command's completion channel: keep status reports elsewhere. */
        int moved = fcntl(3, F_DUPFD_CLOEXEC, 10);
        if (moved < 0) die("move status fd");
        close(3);
        status_fd = moved;
        if (pass_fd == 3) { errno = 0; die("--pass-fd and --status-fd are the same fd"); }
    }
    if (uid == 0 || gid == 0) { errno = 0; die("refusing to run the command as uid/gid 0"); }

    if (cgroup_procs) {
        /* The run's memory cgroup: joined before forking, so every process of the sample is charged to it. */
        int f = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
        if (f < 0) die("open %s", cgroup_procs);
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
        if (write(f, pid, n) != n) die("join cgroup %s", cgroup_procs);
        close(f);
    }
    /* Never outlive the caller: if it dies (a killed Spark task), the sandbox goes with it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL)) die("pdeathsig");
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS))
        die("unshare (needs root or CAP_SYS_ADMIN)");
    /* The pipe tells init whether the outer process is still alive after PDEATHSIG is armed
       (getppid() is 0 across the pid namespace boundary, so it cannot be used for that). */
    int alive[2];
    if (pipe2(alive, O_CLOEXEC)) die("pipe");
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init > 0) {
        close(alive[0]);
        /* Outer: forward termination requests as SIGKILL to the namespace's init, report its status. */
        init_pid = init;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* Second line of defence behind the caller's timeout: a hard wall-clock limit of our own. */
        if (wall_s > 0) {
            sigaction(SIGALRM, &sa, NULL);
            alarm((unsigned)wall_s);
        }
        int st;
        while (waitpid(init, &st, 0) < 0) {
            if (errno != EINTR) die("waitpid");
        }
        return status_code(st);
    }
    /* init: pid 1 of the new pid namespace. */
    close(alive[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL)) die("pdeathsig");
    struct pollfd pf = { .fd = alive[0], .events = POLLIN };
    if (poll(&pf, 1, 0) > 0 && (pf.revents & POLLHUP)) _exit(125);
    close(alive[0]);
    setup_mounts();
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) exec_command(cmd);
    int code = 125;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p == child) { code = status_code(st); break; }
    }
    /* Exiting pid 1 kills whatever the command left behind. */
    _exit(code);
}
