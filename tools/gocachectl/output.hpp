// Human-readable rendering of gocachectl replies (--json prints them raw).
#pragma once

#include <string>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

void print_human(const std::string& cmd, const control::json& result);
std::string human_bytes(uint64_t n);

}  // namespace gcfs::ctl
