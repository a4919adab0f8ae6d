// The overall state and the two output forms (text lines, JSON).
#include <fmt/format.h>

#include "tools/health/health.hpp"

namespace gcfs::health {

namespace {
// CRITICAL > WARNING > UNKNOWN > OK: an unknown check must not hide a
// known problem, and must not pass for OK.
int rank(State s) {
  switch (s) {
    case State::ok:
      return 0;
    case State::unknown:
      return 1;
    case State::warning:
      return 2;
    case State::critical:
      return 3;
  }
  return 1;
}
}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::ok:
      return "OK";
    case State::warning:
      return "WARNING";
    case State::critical:
      return "CRITICAL";
    case State::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

State Report::overall() const {
  State worst = State::ok;
  for (const auto& c : checks) {
    if (rank(c.state) > rank(worst)) worst = c.state;
  }
  return worst;
}

std::string Report::text() const {
  std::map<State, int> n;
  for (const auto& c : checks) ++n[c.state];
  std::string counts;
  for (State s : {State::critical, State::warning, State::unknown, State::ok}) {
    if (n[s] == 0) continue;
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n[s], state_name(s));
  }
  std::string out = fmt::format("gocachefs health: {} ({})\n", state_name(overall()), counts);
  for (const auto& c : checks) {
    out += fmt::format("{:<8} {}: {}\n", state_name(c.state), c.name, c.message);
  }
  return out;
}

nlohmann::json Report::json() const {
  nlohmann::json j;
  j["status"] = state_name(overall());
  j["code"] = static_cast<int>(overall());
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks) {
    nlohmann::json cj = {{"name", c.name},
                         {"status", state_name(c.state)},
                         {"code", static_cast<int>(c.state)},
                         {"message", c.message}};
    if (c.value) cj["value"] = *c.value;
    j["checks"].push_back(cj);
  }
  return j;
}

}  // namespace gcfs::health
