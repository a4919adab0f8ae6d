// The FUSE-over-io_uring protocol (Linux 6.14+, FUSE 7.42), declared here
// because Debian bookworm's kernel headers (7.38) predate it. Written from
// the kernel's documented ABI (Documentation/filesystems/fuse/fuse-io-uring.rst,
// include/uapi/linux/fuse.h); the layouts are fixed by the kernel.
#pragma once

#include <linux/fuse.h>

#include <cstdint>

namespace gcfs::fusefs::uring_abi {

// INIT flags2 bit (flag 41): the daemon serves requests over io_uring. The
// kernel offers it in fuse_init_in only when fuse.enable_uring is on.
inline constexpr uint32_t kOverIoUringFlags2 = uint32_t{1} << (41 - 32);

// The ring entry's header buffer: the request's fuse_in_header (the reply's
// fuse_out_header), its per-operation argument, and the entry's bookkeeping.
inline constexpr size_t kInOutHeaderSize = 128;
inline constexpr size_t kOpInOutSize = 128;

struct EntInOut {
  uint64_t flags;
  uint64_t commit_id;   // what the reply's commit names
  uint32_t payload_sz;  // bytes of the payload buffer in use
  uint32_t padding;
  uint64_t reserved;
};

struct ReqHeader {
  char in_out[kInOutHeaderSize];
  char op_in[kOpInOutSize];
  EntInOut ring_ent_in_out;
};

// IORING_OP_URING_CMD command codes on the /dev/fuse file.
inline constexpr uint32_t kCmdRegister = 1;        // hand the kernel an entry, fetch a request
inline constexpr uint32_t kCmdCommitAndFetch = 2;  // reply, then fetch the next one

// The 80-byte command area of a 128-byte SQE.
struct CmdReq {
  uint64_t flags;
  uint64_t commit_id;
  uint16_t qid;
  uint8_t padding[6];
};

static_assert(sizeof(EntInOut) == 32);
static_assert(sizeof(ReqHeader) == 288);
static_assert(sizeof(CmdReq) == 24);

}  // namespace gcfs::fusefs::uring_abi
