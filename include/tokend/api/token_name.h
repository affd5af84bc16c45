// The name of a named token, by Onezone's rule for names: 2-50 characters
// of letters (any script), digits, underscores and brackets, and inside
// (neither first nor last) also dashes, spaces and dots.
#pragma once

#include <string>

#include "tokend/common/status.h"

namespace tokend {

// Ok, or badValueName (details.key "name") saying the rule.
Status CheckTokenName(const std::string& name);

}  // namespace tokend
