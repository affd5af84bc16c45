// Worker: one process's request loop. Serves FastCGI requests on the
// connections it holds (FcgiConnections), hands each to the Api, writes the
// response and logs one line.
#pragma once

#include "tokend/common/config.h"
#include "tokend/token/token_keys.h"

namespace tokend {

// Serves until asked to stop; returns the process exit code.
int RunWorker(int listen_fd, const Config& config, const TokenKeys& keys);

}  // namespace tokend
