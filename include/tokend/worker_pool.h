// WorkerPool: the daemon's process model. The parent opens the FastCGI
// socket, forks the workers, replaces any that die, and on SIGTERM or
// SIGINT tells them to finish their in-flight request and exit. Each worker
// is single-threaded with its own Redis connection.
#pragma once

#include <functional>

#include "tokend/config.h"
#include "tokend/status.h"

namespace tokend {

// Opens the listening socket `config.listen` (unix socket with
// `config.socket_mode`, or TCP). Returns the fd, or -1 with `status` set.
int OpenListenSocket(const Config& config, Status* status);

// Runs `config.workers` processes of `worker_main(listen_fd)` until SIGTERM
// or SIGINT; returns the parent's exit code.
int RunWorkerPool(const Config& config, int listen_fd,
                  const std::function<int(int listen_fd)>& worker_main);

// For workers: true once the parent asked this worker to stop. A worker
// checks it between requests.
bool WorkerShouldStop();
// For workers: brackets request handling, so a stop signal that arrives
// while idle exits at once and one that arrives mid-request waits for it.
void WorkerBeginRequest();
void WorkerEndRequest();

}  // namespace tokend
