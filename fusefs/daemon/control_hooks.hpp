// The daemon's DaemonHooks: kernel invalidation and live figures.
#pragma once

#include <fuse_lowlevel.h>

#include "fusefs/daemon/control_server.hpp"
#include "store/admin/control.hpp"

namespace gcfs::fusefs {

class KernelHooks final : public control::DaemonHooks {
 public:
  KernelHooks(Filesystem& fs, fuse_session* se, const ControlInfo& info)
      : fs_(fs), se_(se), info_(info) {}
  std::optional<std::string> refuse_drop(const std::string& name) override;
  void namespace_replaced(const std::string& name, NsId old_id, NsId new_id) override;
  void name_changed(const std::string& name) override;
  void namespace_repaired(const std::string& name, NsId id) override;
  void discard_later(const std::string& snapshot, NsId id) override;
  control::json activity(NsId ns) override;
  control::json info() override;
  control::json space(const std::string& cmd, const control::json& req) override;
  // cache_hooks.cpp
  void cache_looked_up(NsId ns, const gocache::CacheHit* hit) override;
  void cache_stored(NsId ns, const gocache::PutResult& put) override;
  control::json remote_status() override;

 private:
  void inval(const std::string& name);
  Filesystem& fs_;
  fuse_session* se_;
  const ControlInfo& info_;
};

}  // namespace gcfs::fusefs
