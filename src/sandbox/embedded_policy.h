// embedded_policy.h — the policy file compiled into a program that confines
// itself (cmake/EmbedPolicy.cmake); its main() passes it to confine_self().
#pragma once

#include <string_view>

namespace qcell {

extern const std::string_view embedded_policy;

}  // namespace qcell
