// One log line at startup when the machine makes every FUSE round trip slow:
// a VM whose haltpoll idle governor does not poll (docs/operations.md,
// "Latency on virtual machines"). The daemon never changes the setting.
#pragma once

namespace gcfs::fusefs {

void log_vm_latency_hint();

}  // namespace gcfs::fusefs
