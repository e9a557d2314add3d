/* octobox: run one command in a throwaway sandbox. Built once by evaluation/execution/sandbox.py (gcc).
 *
 * Starts as root (namespaces and uid switch), or unprivileged with --userns (an unprivileged user
 * namespace, as bubblewrap / `unshare -r` do: the caller's uid is mapped to --uid inside). Layout:
 *   outer (host namespaces)  joins the run's cgroups (--cgroup), unshare([user,] mount, pid, net, ipc,
 *                            uts) -> fork
 *   init  (pid 1 of the ns)  builds a NEW root on an empty tmpfs from an allow-list only: --ro/--rw
 *                            paths bound at the same path, --link symlinks, --work dirs as an overlay
 *                            whose writable layer is a size-capped tmpfs (the host dir is never
 *                            written), fresh tmpfs /tmp /var/tmp /dev/shm, /dev/{null,zero,full,random,
 *                            urandom}, a new /proc; pivot_root into it (the host tree is detached),
 *                            root made read-only; then fork the command and reap everything.
 *   cmd                      setsid, rlimits, drop to --uid/--gid (no groups, no capabilities, empty
 *                            bounding set, no_new_privs), chdir --chdir, exec.
 * When the command exits, init exits and the kernel kills every process left in the pid namespace;
 * SIGTERM/SIGINT/SIGALRM (--wall) to the outer process kill init, and the outer then waits until the
 * namespace is empty; when the outer process is killed, init dies through PDEATHSIG and takes the tree
 * with it; the outer itself dies with its caller (PDEATHSIG).
 * The new network namespace has only a loopback device that is down: no network at all.
 * --unsandboxed: no namespaces, no new root, no uid switch (rlimits, fd 3 and the wall limit only); the
 * caller asked for it explicitly and warns.
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
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#define MAXP 128
#define NEWROOT "/tmp"   /* where the new root is assembled (a tmpfs mounted there in our mount ns) */

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

enum { B_RO, B_RW, B_WORK, B_LINK };
struct bindp { int kind; const char *path; const char *target; int fd; };

static struct bindp binds[MAXP];
static int nbinds = 0;
static const char *cgroups[8];
static int ncgroups = 0;
static uid_t uid = 65534;
static gid_t gid = 65534;
static const char *chdir_to = "/";
static long long lim_data = -1, lim_as = -1, lim_nproc = -1, lim_fsize = -1, lim_nofile = -1, lim_cpu = -1;
static long long tmpfs_mb = 64, work_mb = 64;
static long long wall_s = 0;
static int pass_fd = -1;  /* --pass-fd: becomes fd 3 of the command (the completion channel) */
static int userns = 0;    /* --userns: unprivileged user namespace (rootless) */
static int unsandboxed = 0;

static const char *DEVICES[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
#define NDEV (sizeof DEVICES / sizeof *DEVICES)
static int dev_fds[NDEV];

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

static void mount_tmpfs(const char *dir, const char *mode, long long mb) {
    char opts[128];
    snprintf(opts, sizeof opts, "mode=%s,size=%lldm,nr_inodes=16384", mode, mb);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) die("mount tmpfs on %s", dir);
}

static void in_root(char *out, size_t n, const char *path) {
    if ((size_t)snprintf(out, n, "%s%s", NEWROOT, path) >= n) { errno = ENAMETOOLONG; die("path %s", path); }
}

/* An empty file (or dir) at `target` in the new root to mount a file (or dir) onto. */
static void make_mountpoint(const char *target, int is_dir) {
    if (is_dir) { mkdir_p(target, 0755); return; }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", target);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
    int f = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (f >= 0) close(f);
    errno = 0;
}

static void set_attr(const char *target, unsigned long long set, unsigned long long clr, int recursive) {
    struct mount_attr a = { .attr_set = set, .attr_clr = clr };
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, recursive ? AT_RECURSIVE : 0, &a, sizeof a))
        die("set attributes of %s", target);
}

static void bind_fd(int fd, const char *target) {
    char src[64];
    snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL)) die("bind %s", target);
}

/* The sample's work dir: the host dir as the lower layer of an overlay whose upper layer lives on a
   tmpfs of work_mb (its disk quota). Writes never reach the host dir, so hard-linked artifacts shared
   with other samples cannot be changed, and the host's disk cannot be filled. */
static void mount_work(struct bindp *b, const char *target) {
    struct stat st;
    if (fstat(b->fd, &st)) die("stat %s", b->path);
    mkdir_p(target, 0755);
    const char *layer = NEWROOT "/.octobox-layer";
    mkdir_p(layer, 0700);
    mount_tmpfs(layer, "0700", work_mb);
    mkdir_p(NEWROOT "/.octobox-layer/upper", 0755);
    mkdir_p(NEWROOT "/.octobox-layer/work", 0700);
    /* The overlay's root takes the upper dir's owner and mode: make them the host dir's. */
    /* (In a user namespace only the sandbox uid/gid exist: the caller's dir is the sample's.) */
    if (chown(NEWROOT "/.octobox-layer/upper", userns ? uid : st.st_uid, userns ? gid : st.st_gid))
        die("chown overlay upper");
    if (chmod(NEWROOT "/.octobox-layer/upper", st.st_mode & 07777)) die("chmod overlay upper");
    char opts[512];
    snprintf(opts, sizeof opts, "lowerdir=/proc/self/fd/%d,upperdir=%s/upper,workdir=%s/work%s", b->fd, layer,
             layer, userns ? ",userxattr" : "");
    if (mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV, opts)) die("overlay on %s", b->path);
    /* The overlay keeps its own reference to the upper layer: the helper mount can go. */
    if (umount2(layer, MNT_DETACH)) die("detach work layer");
    if (rmdir(layer)) die("rmdir work layer");
    errno = 0;
}

static void setup_root(void) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    /* Grab everything to expose before the staging tmpfs covers anything. */
    for (int i = 0; i < nbinds; i++) {
        if (binds[i].kind == B_LINK) continue;
        binds[i].fd = open(binds[i].path, O_PATH | O_CLOEXEC);
        if (binds[i].fd < 0) die("open %s", binds[i].path);
    }
    for (size_t i = 0; i < NDEV; i++) {
        dev_fds[i] = open(DEVICES[i], O_PATH | O_CLOEXEC);
        if (dev_fds[i] < 0) die("open %s", DEVICES[i]);
    }
    /* The new root: an empty tmpfs; nothing of the host is in it unless put there below. */
    if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096"))
        die("mount root tmpfs");
    const char *tmpdirs[] = { "/tmp", "/var/tmp", "/dev/shm" };
    char t[4096];
    for (size_t i = 0; i < sizeof tmpdirs / sizeof *tmpdirs; i++) {
        in_root(t, sizeof t, tmpdirs[i]);
        mkdir_p(t, 0755);
        mount_tmpfs(t, "1777", tmpfs_mb);
    }
    for (size_t i = 0; i < NDEV; i++) {
        in_root(t, sizeof t, DEVICES[i]);
        make_mountpoint(t, 0);
        bind_fd(dev_fds[i], t);
        set_attr(t, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, 0);
        close(dev_fds[i]);
    }
    const char *devlinks[][2] = { { "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
                                  { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" } };
    for (size_t i = 0; i < sizeof devlinks / sizeof *devlinks; i++) {
        in_root(t, sizeof t, devlinks[i][0]);
        if (symlink(devlinks[i][1], t)) die("symlink %s", t);
    }
    /* In the order given (the caller sorts by path, so a dir is bound before anything inside it). */
    for (int i = 0; i < nbinds; i++) {
        struct bindp *b = &binds[i];
        in_root(t, sizeof t, b->path);
        if (b->kind == B_LINK) {
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", t);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
            struct stat st;
            /* Already there (inside a bound dir, where it is the host's own link): keep it. */
            if (lstat(t, &st) && symlink(b->target, t)) die("symlink %s", b->path);
            errno = 0;
            continue;
        }
        if (b->kind == B_WORK) {
            mount_work(b, t);
        } else {
            struct stat st;
            if (fstat(b->fd, &st)) die("stat %s", b->path);
            make_mountpoint(t, S_ISDIR(st.st_mode));
            bind_fd(b->fd, t);
            if (b->kind == B_RW) set_attr(t, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, MOUNT_ATTR_RDONLY, 0);
            else set_attr(t, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 1);
        }
        close(b->fd);
    }
    in_root(t, sizeof t, "/proc");
    mkdir_p(t, 0555);
    if (mount("proc", t, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount /proc");
    /* Switch to the new root; the host's tree (stacked under it by pivot_root(".", ".")) is detached. */
    if (chdir(NEWROOT)) die("chdir new root");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (umount2(".", MNT_DETACH)) die("detach the host root");
    if (chdir("/")) die("chdir /");
    set_attr("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0);
    errno = 0;
}

static void drop_capabilities(void) {
    /* Empty the bounding set while we may (needs CAP_SETPCAP): nothing can ever be regained by exec. */
    for (int c = 0; c <= 63; c++) {
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0) break;
        if (!unsandboxed && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) die("drop bounding cap %d", c);
    }
    errno = 0;
}

static void clear_capabilities(void) {
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data)) die("clear capabilities");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) die("clear ambient caps");
    errno = 0;
}

static void exec_command(char **argv) {
    if (!unsandboxed && setsid() < 0) die("setsid");
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
        if (!unsandboxed && !userns && fchown(3, uid, gid)) die("chown pass fd");
    }
    if (!unsandboxed) {
        drop_capabilities();
        /* In a user namespace setgroups is denied (and the caller's supplementary groups stay, mapped to
           the overflow gid); as root the command gets no groups at all. */
        if (!userns && setgroups(0, NULL)) die("setgroups");
        if (setresgid(gid, gid, gid)) die("setresgid");
        if (setresuid(uid, uid, uid)) die("setresuid");
        clear_capabilities();
    }
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

/* Outer process: forward termination requests as SIGKILL to pid (the command, or the namespace's init),
   wait for it and return its status as an exit code. */
static int forward_and_wait(pid_t pid) {
    init_pid = pid;
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
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) die("waitpid");
    }
    return status_code(st);
}

static void write_file(const char *path, const char *text) {
    int f = open(path, O_WRONLY | O_CLOEXEC);
    if (f < 0) die("open %s", path);
    ssize_t n = (ssize_t)strlen(text);
    if (write(f, text, n) != n) die("write %s", path);
    close(f);
}

static void usage(void) {
    fputs("usage: octobox [--uid N] [--gid N] [--chdir DIR] [--ro PATH]... [--rw PATH]... [--work DIR]...\n"
          "               [--link PATH=TARGET]... [--data BYTES] [--as BYTES] [--nproc N] [--fsize BYTES]\n"
          "               [--nofile N] [--cpu S] [--tmpfs-mb N] [--work-mb N] [--wall S] [--status-fd FD]\n"
          "               [--pass-fd FD] [--cgroup CGROUP_PROCS_FILE]... [--userns 1] [--unsandboxed 1]\n"
          "               -- COMMAND [ARG]...\n", stderr);
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
        else if (!strcmp(a, "--ro") || !strcmp(a, "--rw") || !strcmp(a, "--work") || !strcmp(a, "--link")) {
            if (nbinds == MAXP) usage();
            struct bindp *b = &binds[nbinds++];
            b->kind = !strcmp(a, "--ro") ? B_RO : !strcmp(a, "--rw") ? B_RW : !strcmp(a, "--work") ? B_WORK : B_LINK;
            b->path = v;
            b->fd = -1;
            if (b->kind == B_LINK) {
                char *eq = strchr(v, '=');
                if (!eq) usage();
                *eq = 0;
                b->target = eq + 1;
            }
            if (v[0] != '/' || strstr(v, "/../") || strstr(v, "/./")) {
                errno = 0;
                die("bind path must be absolute and normalised: %s", v);
            }
        }
        else if (!strcmp(a, "--data")) lim_data = atoll(v);
        else if (!strcmp(a, "--as")) lim_as = atoll(v);
        else if (!strcmp(a, "--nproc")) lim_nproc = atoll(v);
        else if (!strcmp(a, "--fsize")) lim_fsize = atoll(v);
        else if (!strcmp(a, "--nofile")) lim_nofile = atoll(v);
        else if (!strcmp(a, "--cpu")) lim_cpu = atoll(v);
        else if (!strcmp(a, "--tmpfs-mb")) tmpfs_mb = atoll(v);
        else if (!strcmp(a, "--work-mb")) work_mb = atoll(v);
        else if (!strcmp(a, "--wall")) wall_s = atoll(v);
        else if (!strcmp(a, "--userns")) userns = atoi(v) != 0;
        else if (!strcmp(a, "--unsandboxed")) unsandboxed = atoi(v) != 0;
        else if (!strcmp(a, "--cgroup")) {
            if (ncgroups == (int)(sizeof cgroups / sizeof *cgroups)) usage();
            cgroups[ncgroups++] = v;
        }
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
    if (!unsandboxed && (uid == 0 || gid == 0)) { errno = 0; die("refusing to run the command as uid/gid 0"); }

    for (int c = 0; c < ncgroups; c++) {
        /* The run's cgroups: joined before forking, so every process of the sample is charged to them. */
        int f = open(cgroups[c], O_WRONLY | O_CLOEXEC);
        if (f < 0) die("open %s", cgroups[c]);
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
        if (write(f, pid, n) != n) die("join cgroup %s", cgroups[c]);
        close(f);
    }
    /* Never outlive the caller: if it dies (a killed Spark task), the sandbox goes with it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL)) die("pdeathsig");
    if (unsandboxed) {
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child == 0) exec_command(cmd);
        return forward_and_wait(child);
    }
    uid_t outer_uid = getuid();
    gid_t outer_gid = getgid();
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    if (userns) flags |= CLONE_NEWUSER;
    if (unshare(flags)) {
        if (userns) die("unshare with a new user namespace (unprivileged user namespaces are not allowed here)");
        die("unshare (needs root or CAP_SYS_ADMIN)");
    }
    if (userns) {
        /* Map the caller (and only it) to the sandbox uid/gid inside. */
        char map[64];
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)outer_uid);
        write_file("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)outer_gid);
        write_file("/proc/self/gid_map", map);
    }
    /* The pipe tells init whether the outer process is still alive after PDEATHSIG is armed
       (getppid() is 0 across the pid namespace boundary, so it cannot be used for that). */
    int alive[2];
    if (pipe2(alive, O_CLOEXEC)) die("pipe");
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init > 0) {
        close(alive[0]);
        /* Outer: forward termination requests as SIGKILL to the namespace's init, report its status. */
        return forward_and_wait(init);
    }
    /* init: pid 1 of the new pid namespace. */
    close(alive[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL)) die("pdeathsig");
    struct pollfd pf = { .fd = alive[0], .events = POLLIN };
    if (poll(&pf, 1, 0) > 0 && (pf.revents & POLLHUP)) _exit(125);
    close(alive[0]);
    setup_root();
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
