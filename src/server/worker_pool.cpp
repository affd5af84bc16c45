// Pre-forked worker processes with respawn, reload and graceful stop (see
// worker_pool.h).
#include "tokend/server/worker_pool.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "tokend/common/metrics.h"

namespace tokend {

namespace {

// Connections nginx may queue before a worker accepts them.
constexpr int kListenBacklog = 1024;
// A worker that dies sooner than this after starting is crashing on start;
// the parent then waits before starting another, instead of spinning.
constexpr int kRespawnBackoffMs = 1000;
constexpr time_t kCrashWindowSeconds = 1;

volatile sig_atomic_t g_worker_stop = 0;  // in workers
sigset_t g_wait_mask;  // workers: the signal mask while waiting to accept

void WorkerSignal(int) { g_worker_stop = 1; }

void Install(int signal_number, void (*handler)(int)) {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, nullptr);
}

// The signals the parent takes synchronously with sigwaitinfo.
sigset_t ParentSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaddset(&set, signal_number);
  }
  return set;
}

pid_t StartWorker(int listen_fd, const Config& config,
                  const WorkerPoolHooks& hooks) {
  pid_t pid = fork();
  if (pid == 0) {
    Install(SIGTERM, WorkerSignal);
    Install(SIGHUP, SIG_IGN);
    Install(SIGINT, SIG_IGN);  // Ctrl-C reaches the parent, which drains us
    Install(SIGPIPE, SIG_IGN);
    Install(SIGCHLD, SIG_DFL);
    // SIGTERM stays blocked except inside WorkerWait.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_SETMASK, &term, nullptr);
    sigemptyset(&g_wait_mask);
    _exit(hooks.worker_main(listen_fd, config));
  }
  if (pid < 0) {
    std::fprintf(stderr, "onezone-tokend: fork failed: %s\n", std::strerror(errno));
  }
  return pid;
}

class Pool {
 public:
  Pool(const Config& config, int listen_fd, const WorkerPoolHooks& hooks)
      : config_(config), listen_fd_(listen_fd), hooks_(hooks) {}

  void StartAll() {
    for (int i = 0; i < config_.workers; ++i) StartOne();
    Publish();
  }

  // Reaps every dead worker; replaces those of the current set.
  void ReapAndReplace() {
    int wait_status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
      if (hooks_.worker_exited) hooks_.worker_exited(static_cast<int>(pid));
      if (retiring_.erase(pid) > 0) continue;  // an old worker, done
      if (workers_.erase(pid) == 0) continue;
      std::fprintf(stderr, "onezone-tokend: worker %d %s %d; starting another\n",
                   static_cast<int>(pid),
                   WIFSIGNALED(wait_status) ? "killed by signal" : "exited with",
                   WIFSIGNALED(wait_status) ? WTERMSIG(wait_status)
                                            : WEXITSTATUS(wait_status));
      if (time(nullptr) - last_start_ < kCrashWindowSeconds) {
        usleep(kRespawnBackoffMs * 1000);
      }
      StartOne();
    }
    Publish();
  }

  void Reload() {
    Config next = config_;
    Status status = hooks_.reload_config(&next);
    if (!status.ok()) {
      std::fprintf(stderr, "onezone-tokend: reload refused, keeping the running "
                           "configuration: %s\n", status.description().c_str());
      return;
    }
    if (next.listen != config_.listen) {
      std::fprintf(stderr, "onezone-tokend: `listen` changes only with a "
                           "restart; keeping %s\n", config_.listen.c_str());
      next.listen = config_.listen;
    }
    config_ = next;
    // New workers first, so the socket always has someone accepting; then
    // the old ones finish what they hold and exit.
    std::set<pid_t> old = workers_;
    workers_.clear();
    StartAll();
    for (pid_t pid : old) {
      kill(pid, SIGTERM);
      retiring_.insert(pid);
    }
    std::fprintf(stderr, "onezone-tokend: reloaded; %zu workers started, %zu "
                         "finishing\n", workers_.size(), old.size());
  }

  void Drain() {
    for (pid_t pid : workers_) kill(pid, SIGTERM);
    for (pid_t pid : retiring_) kill(pid, SIGTERM);
    while (!workers_.empty() || !retiring_.empty()) {
      int wait_status = 0;
      pid_t pid = waitpid(-1, &wait_status, 0);
      if (pid < 0 && errno != EINTR) break;
      if (pid > 0) {
        workers_.erase(pid);
        retiring_.erase(pid);
      }
    }
    Publish();
  }

 private:
  void StartOne() {
    last_start_ = time(nullptr);
    pid_t pid = StartWorker(listen_fd_, config_, hooks_);
    if (pid > 0) workers_.insert(pid);
  }

  void Publish() { SetWorkersAlive(static_cast<int>(workers_.size())); }

  Config config_;
  int listen_fd_;
  const WorkerPoolHooks& hooks_;
  std::set<pid_t> workers_;   // the current set
  std::set<pid_t> retiring_;  // an older set, finishing after a reload
  time_t last_start_ = 0;
};

}  // namespace

int WorkerWait(int epoll_fd, epoll_event* events, int max_events,
               int timeout_ms) {
  // epoll_pwait unblocks SIGTERM atomically for the wait only: a stop
  // signal sent while the worker serves a request stays pending and ends
  // the next wait at once (EINTR).
  return epoll_pwait(epoll_fd, events, max_events, timeout_ms, &g_wait_mask);
}

bool WorkerStopRequested() { return g_worker_stop != 0; }

int OpenListenSocket(const Config& config, Status* status) {
  std::string unix_path, host;
  int port = 0;
  ParseEndpoint(config.listen, &unix_path, &host, &port);
  std::string address;
  if (!unix_path.empty()) {
    unlink(unix_path.c_str());  // a stale socket from a previous run
    address = unix_path;
  } else {
    address = host + ":" + std::to_string(port);
  }
  if (FCGX_Init() != 0) {
    *status = Status(Code::kInternal, "FCGX_Init failed");
    return -1;
  }
  int fd = FCGX_OpenSocket(address.c_str(), kListenBacklog);
  if (fd < 0) {
    *status = Status(Code::kInternal, "cannot listen on " + config.listen + ": " +
                                          std::strerror(errno));
    return -1;
  }
  if (!unix_path.empty() && chmod(unix_path.c_str(), config.socket_mode) != 0) {
    *status = Status(Code::kInternal, "cannot chmod " + unix_path);
    return -1;
  }
  // Non-blocking, so a worker that loses the race for a connection gets
  // EAGAIN from accept and goes back to waiting, where it can be stopped.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

int RunWorkerPool(const Config& config, int listen_fd,
                  const WorkerPoolHooks& hooks) {
  Install(SIGPIPE, SIG_IGN);
  sigset_t signals = ParentSignals();
  sigprocmask(SIG_BLOCK, &signals, nullptr);

  Pool pool(config, listen_fd, hooks);
  pool.StartAll();
  std::fprintf(stderr, "onezone-tokend: %d workers serving %s\n",
               config.workers, config.listen.c_str());
  while (true) {
    siginfo_t info;
    int signal_number = sigwaitinfo(&signals, &info);
    if (signal_number == SIGCHLD) {
      pool.ReapAndReplace();
    } else if (signal_number == SIGHUP) {
      pool.Reload();
    } else if (signal_number == SIGTERM || signal_number == SIGINT) {
      break;
    }
  }
  std::fprintf(stderr, "onezone-tokend: stopping; workers finish their requests\n");
  pool.Drain();
  std::string unix_path, host;
  int port = 0;
  ParseEndpoint(config.listen, &unix_path, &host, &port);
  if (!unix_path.empty()) unlink(unix_path.c_str());
  std::fprintf(stderr, "onezone-tokend: stopped\n");
  return 0;
}

}  // namespace tokend
