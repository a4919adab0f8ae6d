// Error values for the store: every fallible call returns Status or Result<T>,
// both [[nodiscard]], so an error cannot be dropped silently. Exceptions are
// used only at the top level of programs.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gcfs {

// What went wrong, independent of the backend. fusefs/errno_map.cpp is the one
// place that turns these into errno values.
enum class Errc {
  ok = 0,
  not_found,       // no such entry / inode / namespace
  exists,          // name already taken
  not_dir,         // a path component or target is not a directory
  is_dir,          // a directory where a non-directory is required
  not_empty,       // directory (or namespace) not empty
  invalid,         // bad argument (e.g. an illegal namespace name)
  name_too_long,   // a name longer than the store allows
  no_space,        // the store's disk is full
  too_big,         // a file larger than the store allows
  corrupt,         // stored bytes fail verification: never serve them
  io,              // backend I/O error
  read_only,       // the store cannot be written safely right now
  busy,            // the store is locked by another process
  not_supported,   // operation not implemented by design
  permission,      // refused by policy (e.g. files at a multi-namespace root)
  cross_device,    // a rename between namespaces (separate trees, like filesystems)
  no_attr,         // no such extended attribute
  attr_too_big,    // an extended attribute's name or value is over the limit
  too_many_links,  // an inode already has the most names a link count allows
};

const char* errc_name(Errc e);

class Error {
 public:
  Error() = default;
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Errc code_ = Errc::io;
  std::string message_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : ok_(false), error_(std::move(e)) {}  // NOLINT: implicit by design
  static Status ok() { return {}; }
  bool is_ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Errc code() const { return ok_ ? Errc::ok : error_.code(); }

 private:
  bool ok_ = true;
  Error error_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}                     // NOLINT
  Result(Status s) : v_(s.error()) { assert(!s.is_ok()); }  // NOLINT: propagate an error Status
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & {
    assert(is_ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(is_ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(is_ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!is_ok());
    return std::get<1>(v_);
  }
  Errc code() const { return is_ok() ? Errc::ok : error().code(); }
  Status status() const { return is_ok() ? Status::ok() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace gcfs

// Propagation, for functions returning Status or Result<U>:
//   GCFS_TRY(store.sync());                      // returns the error, if any
//   GCFS_TRY_ASSIGN(auto attr, store.getattr(ns, ino));  // else binds the value
#define GCFS_TRY(expr)                         \
  do {                                         \
    if (auto gcfs_try_ = (expr); !gcfs_try_) { \
      return ::gcfs::Error(gcfs_try_.error()); \
    }                                          \
  } while (0)

#define GCFS_TRY_CONCAT_(a, b) a##b
#define GCFS_TRY_CONCAT(a, b) GCFS_TRY_CONCAT_(a, b)
#define GCFS_TRY_ASSIGN(var, expr) GCFS_TRY_ASSIGN_(GCFS_TRY_CONCAT(gcfs_try_, __LINE__), var, expr)
#define GCFS_TRY_ASSIGN_(tmp, var, expr)       \
  auto tmp = (expr);                           \
  if (!tmp) return ::gcfs::Error(tmp.error()); \
  var = std::move(*tmp)
