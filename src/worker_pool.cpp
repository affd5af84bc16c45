// Pre-forked worker processes with respawn and graceful stop (see
// worker_pool.h).
#include "tokend/worker_pool.h"

#include <fcgiapp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "tokend/metrics.h"

namespace tokend {

namespace {

volatile sig_atomic_t g_stop_requested = 0;   // parent and workers
volatile sig_atomic_t g_in_request = 0;       // workers

// Connections nginx may queue before a worker accepts them.
constexpr int kListenBacklog = 1024;
// A worker that dies sooner than this after starting is crashing on start;
// the parent then waits before starting another, instead of spinning.
constexpr int kRespawnBackoffMs = 1000;
constexpr time_t kCrashWindowSeconds = 1;

void ParentSignal(int) { g_stop_requested = 1; }

void WorkerSignal(int) {
  g_stop_requested = 1;
  // Makes libfcgi give up a blocked accept (interrupted by this signal)
  // instead of retrying it; a request already accepted is still served.
  FCGX_ShutdownPending();
}

void Install(int signal_number, void (*handler)(int)) {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, nullptr);
}

pid_t StartWorker(int listen_fd,
                  const std::function<int(int)>& worker_main) {
  pid_t pid = fork();
  if (pid == 0) {
    Install(SIGTERM, WorkerSignal);
    Install(SIGINT, SIG_IGN);  // Ctrl-C reaches the parent, which drains us
    Install(SIGPIPE, SIG_IGN);
    _exit(worker_main(listen_fd));
  }
  return pid;
}

}  // namespace

bool WorkerShouldStop() { return g_stop_requested != 0; }
void WorkerBeginRequest() { g_in_request = 1; }
void WorkerEndRequest() { g_in_request = 0; }

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
  // The socket is created with the process umask; tighten it right after.
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
  return fd;
}

int RunWorkerPool(const Config& config, int listen_fd,
                  const std::function<int(int)>& worker_main) {
  Install(SIGTERM, ParentSignal);
  Install(SIGINT, ParentSignal);
  Install(SIGPIPE, SIG_IGN);

  std::set<pid_t> workers;
  std::set<pid_t> started_recently;
  time_t last_start = time(nullptr);
  for (int i = 0; i < config.workers; ++i) {
    pid_t pid = StartWorker(listen_fd, worker_main);
    if (pid > 0) workers.insert(pid);
  }
  SetWorkersAlive(static_cast<int>(workers.size()));
  std::fprintf(stderr, "onezone-tokend: %zu workers serving %s\n",
               workers.size(), config.listen.c_str());

  while (!g_stop_requested) {
    int wait_status = 0;
    pid_t pid = waitpid(-1, &wait_status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (workers.erase(pid) == 0 || g_stop_requested) continue;
    SetWorkersAlive(static_cast<int>(workers.size()));
    std::fprintf(stderr, "onezone-tokend: worker %d %s %d; starting another\n",
                 static_cast<int>(pid),
                 WIFSIGNALED(wait_status) ? "killed by signal" : "exited with",
                 WIFSIGNALED(wait_status) ? WTERMSIG(wait_status)
                                          : WEXITSTATUS(wait_status));
    if (time(nullptr) - last_start < kCrashWindowSeconds) {
      usleep(kRespawnBackoffMs * 1000);
    }
    last_start = time(nullptr);
    pid_t replacement = StartWorker(listen_fd, worker_main);
    if (replacement > 0) workers.insert(replacement);
    SetWorkersAlive(static_cast<int>(workers.size()));
  }

  // Drain: every worker finishes its in-flight request, then exits.
  for (pid_t pid : workers) kill(pid, SIGTERM);
  while (!workers.empty()) {
    int wait_status = 0;
    pid_t pid = waitpid(-1, &wait_status, 0);
    if (pid < 0 && errno != EINTR) break;
    if (pid > 0) workers.erase(pid);
  }
  std::string unix_path, host;
  int port = 0;
  ParseEndpoint(config.listen, &unix_path, &host, &port);
  if (!unix_path.empty()) unlink(unix_path.c_str());
  std::fprintf(stderr, "onezone-tokend: stopped\n");
  return 0;
}

}  // namespace tokend
