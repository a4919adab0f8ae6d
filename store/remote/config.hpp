// Checked configuration: options validated, URLs parsed, credentials loaded.
#pragma once

#include "store/remote/credentials.hpp"
#include "store/remote/endpoint.hpp"
#include "store/remote/options.hpp"
#include "store/result.hpp"

namespace gcfs::remote {

struct Config {
  RemoteOptions options;
  Topology topology;
  Credentials credentials;
};

// Errc::invalid with a one-line message for any bad option, URL or
// credentials (a URL's user must match the auth file's user, if both given).
Result<Config> resolve_config(const RemoteOptions& options, const GetEnv& getenv);
Result<Config> resolve_config(const RemoteOptions& options);

}  // namespace gcfs::remote
