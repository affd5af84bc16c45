// The user fingerprint a write guard compares (see write_guard.h).
#include "tokend/store/write_guard.h"

#include "tokend/common/crypto.h"

namespace tokend {

std::string UserFingerprint(const std::string& name,
                            const std::string& password_hash) {
  return Sha1Hex(std::to_string(name.size()) + ":" + name + password_hash);
}

}  // namespace tokend
