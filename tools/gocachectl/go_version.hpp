// The namespace of a Go toolchain: one per version, since the go command
// salts every action ID with its version (docs/gocachectl.md, "Namespaces of
// toolchains"). Shared by `gocachectl env` and `gocachectl cacheprog`.
#pragma once

#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::ctl {

// A namespace name for a `go env GOVERSION` string: kept as it is when it
// is a valid name ("go1.23.5"), else each run of characters a name cannot
// hold (spaces, '/', control characters) becomes one '-'
// ("go1.23.5 X:cacheprog" -> "go1.23.5-X:cacheprog"); longer than 64
// characters, cut to 47 and a hash of the whole. "" for an empty version.
std::string namespace_for_version(std::string_view goversion);

// Whether `v` is a gc toolchain's version ("go" and a digit, "go1.23.5 X:...").
bool is_go_version(std::string_view v);

// The namespace of the toolchain `go` (a path, or a name looked up in PATH):
// from `go env GOVERSION`; gccgo's go command reports "unknown" there and in
// `go version`, so for it the name comes from the compiler it runs
// (`go env GCCGO`, `-dumpfullversion`): "gccgo-12.2.0".
Result<std::string> toolchain_namespace(const std::string& go);

}  // namespace gcfs::ctl
