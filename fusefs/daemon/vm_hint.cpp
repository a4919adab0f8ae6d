#include "fusefs/daemon/vm_hint.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <string>

namespace gcfs::fusefs {

namespace {

std::string first_word(const char* path) {
  std::ifstream in(path);
  std::string word;
  in >> word;
  return word;
}

}  // namespace

void log_vm_latency_hint() {
  if (first_word("/sys/devices/system/cpu/cpuidle/current_governor") != "haltpoll") return;
  if (first_word("/sys/module/haltpoll/parameters/guest_halt_poll_ns") != "0") return;
  spdlog::info(
      "this VM halts idle vCPUs without polling (haltpoll guest_halt_poll_ns=0): each request "
      "that reaches gocachefs costs ~3x more; see docs/operations.md, latency on virtual "
      "machines");
}

}  // namespace gcfs::fusefs
