/*
 * handshake-capture: the one file of Handshake Workbench that carries capture capabilities.
 *
 * Installed as <app>/resources/capture/handshake-capture, mode 0750 root:handshake-capture,
 * with `setcap cap_net_raw,cap_net_admin,cap_sys_nice=p` (setup-capture.sh; older installs have
 * `cap_net_raw,cap_net_admin=eip`). It starts the capture helper
 * (<app>/resources/app.asar/out/node/helper.cjs) under the app's own Electron binary in
 * Node mode, handing it CAP_NET_RAW and CAP_NET_ADMIN (and CAP_SYS_NICE when it holds it) as
 * *ambient* capabilities — the only way capabilities survive exec into an unprivileged
 * binary — and nothing else:
 *
 *  - it runs a fixed script with a fixed interpreter, both found next to itself, and ignores
 *    its own arguments, so it cannot be pointed at other code;
 *  - it refuses to run unless those files and every directory above them are owned by root
 *    and writable by no one else (a hard link or copy placed elsewhere proves nothing);
 *  - it replaces the environment (no NODE_OPTIONS, LD_*, ELECTRON_* from the caller);
 *  - it sets no_new_privs, so nothing it starts can gain more;
 *  - it installs a seccomp filter that makes listen() fail with EPERM in the helper and
 *    everything it starts. A member of the group runs as the same user as the helper and may
 *    signal it; Node answers SIGUSR1 by opening its inspector on 127.0.0.1:9229, which runs
 *    any code sent to it with the helper's capabilities. Node resets the signal mask and
 *    dispositions at start (a blocked SIGUSR1 does not survive exec into Node 20), and the
 *    helper's own SIGUSR1 handler is installed only after Node's bootstrap, so this filter is
 *    what closes that window on every Node and Electron version: the inspector cannot listen
 *    ("Starting inspector on 127.0.0.1:9229 failed: operation not permitted") and the helper
 *    carries on. The helper never needs a listening socket.
 *
 * Why not setcap on Electron itself: file capabilities make the loader ignore RPATH/$ORIGIN
 * and LD_LIBRARY_PATH, which breaks Electron (electron/electron#4583), and would hand the
 * capabilities to the whole GUI. Why not a copy of node: any member of the group could run
 * `node -e` with capabilities. This launcher can only ever start the helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef APP_EXECUTABLE
#define APP_EXECUTABLE "handshake-workbench"
#endif

/* Relative to the directory holding this launcher (resources/capture). */
#define RELATIVE_APP "../../" APP_EXECUTABLE
#define RELATIVE_ASAR "../app.asar"
#define RELATIVE_UNPACKED "../app.asar.unpacked"
#define HELPER_IN_ASAR "/out/node/helper.cjs"

/* Exit codes: 126 like a shell's "found but cannot run"; the helper's own codes otherwise. */
#define EXIT_REFUSED 126

static int refuse(const char *what, const char *path) {
  if (path)
    fprintf(stderr, "handshake-capture: %s: %s\n", what, path);
  else
    fprintf(stderr, "handshake-capture: %s\n", what);
  return EXIT_REFUSED;
}

/* True when `path` and every directory above it are root-owned and not group/other-writable. */
static int trusted_chain(const char *path) {
  char current[PATH_MAX];
  if (strlen(path) >= sizeof current) return 0;
  strcpy(current, path);
  for (;;) {
    struct stat info;
    if (lstat(current, &info) != 0) return 0;
    if (info.st_uid != 0 || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      fprintf(stderr, "handshake-capture: not owned by root or writable by others: %s\n", current);
      return 0;
    }
    if (strcmp(current, "/") == 0) return 1;
    char *slash = strrchr(current, '/');
    if (slash == NULL) return 0;
    if (slash == current)
      current[1] = '\0';
    else
      *slash = '\0';
  }
}

/* realpath() of dir + "/" + relative, checked; writes into out. */
static int resolve_trusted(const char *dir, const char *relative, char *out) {
  char joined[PATH_MAX];
  if ((size_t)snprintf(joined, sizeof joined, "%s/%s", dir, relative) >= sizeof joined) return 0;
  if (realpath(joined, out) == NULL) {
    fprintf(stderr, "handshake-capture: missing %s (%s)\n", joined, strerror(errno));
    return 0;
  }
  return trusted_chain(out);
}

/*
 * Copies CAP_NET_RAW and CAP_NET_ADMIN (required) and CAP_SYS_NICE (when the launcher was
 * given it: setup-capture.sh explains why it may be) from the permitted set into the ambient set.
 */
static int raise_ambient(void) {
  const int required[] = {CAP_NET_RAW, CAP_NET_ADMIN};
  const int optional = CAP_SYS_NICE; /* the helper's real-time priority, set by chrt on its own pid */
  int wanted[3];
  size_t count = 0;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &header, data) != 0) return 0;
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    if ((data[0].permitted & (1u << required[i])) == 0) return 0; /* all three are below 32 */
    wanted[count++] = required[i];
  }
  if (data[0].permitted & (1u << optional)) wanted[count++] = optional;
  for (size_t i = 0; i < count; i++) data[0].inheritable |= 1u << wanted[i]; /* a capability must be inheritable to be ambient */
  if (syscall(SYS_capset, &header, data) != 0) return 0;
  for (size_t i = 0; i < count; i++) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, wanted[i], 0, 0) != 0) return 0;
  }
  return 1;
}

#if defined(__x86_64__)
#define LAUNCHER_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define LAUNCHER_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "capture-launcher: add this architecture's AUDIT_ARCH_* value"
#endif
/* x32 system calls share x86_64's arch value and carry this bit in their number. */
#define X32_SYSCALL_BIT 0x40000000u

/*
 * listen() fails with EPERM; so does every system call of a foreign ABI (i386 int 0x80, x32),
 * which could otherwise reach listen under another number. Everything else is allowed.
 */
static int forbid_listening(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCHER_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_listen, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0;
}

int main(void) {
  char self[PATH_MAX];
  if (realpath("/proc/self/exe", self) == NULL) return refuse("cannot resolve /proc/self/exe", NULL);
  char *slash = strrchr(self, '/');
  if (slash == NULL || slash == self) return refuse("unexpected location", self);
  *slash = '\0'; /* self is now the launcher's directory */
  if (!trusted_chain(self)) return refuse("refusing to run from an untrusted directory", self);

  char app[PATH_MAX], asar[PATH_MAX], unpacked[PATH_MAX], helper[PATH_MAX];
  if (!resolve_trusted(self, RELATIVE_APP, app)) return refuse("untrusted or missing application binary", NULL);
  if (!resolve_trusted(self, RELATIVE_ASAR, asar)) return refuse("untrusted or missing app.asar", NULL);
  /* Native modules (cap) load from here; it is absent only when nothing was unpacked. */
  char unpacked_path[PATH_MAX];
  struct stat unpacked_info;
  if ((size_t)snprintf(unpacked_path, sizeof unpacked_path, "%s/%s", self, RELATIVE_UNPACKED) >= sizeof unpacked_path) return refuse("path too long", self);
  if (lstat(unpacked_path, &unpacked_info) == 0 && !resolve_trusted(self, RELATIVE_UNPACKED, unpacked)) return refuse("untrusted app.asar.unpacked", NULL);
  if ((size_t)snprintf(helper, sizeof helper, "%s%s", asar, HELPER_IN_ASAR) >= sizeof helper) return refuse("path too long", asar);

  if (!raise_ambient())
    fprintf(stderr, "handshake-capture: capture capabilities are not set on this launcher; capture will fail (see the setup notes)\n");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return refuse("cannot set no_new_privs", NULL);
  if (!forbid_listening()) return refuse("cannot install the seccomp filter", strerror(errno));

  char *const argv[] = {app, helper, NULL};
  char *const envp[] = {"ELECTRON_RUN_AS_NODE=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL};
  execve(app, argv, envp);
  fprintf(stderr, "handshake-capture: cannot start %s: %s\n", app, strerror(errno));
  return EXIT_REFUSED;
}
