// WorkerPool: the daemon's process model. The parent opens the FastCGI
// socket, forks the workers and then only handles signals:
//   SIGCHLD         a worker died: start another in its place;
//   SIGHUP          re-read the configuration, start a new set of workers
//                   with it, and let the old set finish its requests and go;
//   SIGTERM/SIGINT  let every worker finish its in-flight request, then exit.
// Each worker is single-threaded with its own Redis connection; all of them
// accept from the one shared socket, so a reload drops nothing.
#pragma once

#include <sys/epoll.h>

#include <functional>

#include "tokend/common/config.h"
#include "tokend/common/status.h"

namespace tokend {

// Opens the listening socket `config.listen` (unix socket with
// `config.socket_mode`, or TCP). Returns the fd, or -1 with `status` set.
int OpenListenSocket(const Config& config, Status* status);

struct WorkerPoolHooks {
  // Reads the configuration again (SIGHUP); on error the old one stays.
  std::function<Status(Config* config)> reload_config;
  // One worker's life: serve `listen_fd` until stopped; the exit code.
  std::function<int(int listen_fd, const Config& config)> worker_main;
  // A worker ended (or was killed): give back what it held in shared
  // memory. Optional.
  std::function<void(int pid)> worker_exited;
};

// Runs the pool until SIGTERM or SIGINT; returns the parent's exit code.
int RunWorkerPool(const Config& config, int listen_fd,
                  const WorkerPoolHooks& hooks);

// For workers: epoll_pwait(2) on `epoll_fd` with the stop signal unblocked
// for the wait only. The stop signal is blocked everywhere else in a worker,
// so it never interrupts a request. -1 (EINTR) when the signal came.
int WorkerWait(int epoll_fd, epoll_event* events, int max_events,
               int timeout_ms);
// True once the parent asked this worker to stop (SIGTERM).
bool WorkerStopRequested();

}  // namespace tokend
