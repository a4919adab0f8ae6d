// Background uploads: see uploader.hpp.
#include "store/remote/uploader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/codec/chunk.hpp"
#include "store/remote/object_key.hpp"

namespace gcfs::remote {

Uploader::Uploader(RemoteClient& client)
    : client_(client), stats_(client.stats()), capacity_(client.options().upload_queue_bytes) {
  for (uint32_t i = 0; i < client.options().upload_threads; ++i) {
    threads_.emplace_back([this] { run(); });
  }
}

Uploader::~Uploader() { (void)close(Clock::now()); }

Status Uploader::push(Job job) {
  if (client_.options().mode == Mode::read_only) {
    stats_.refused_read_only.fetch_add(1);
    return Error(Errc::read_only, "remote is read-only: upload refused");
  }
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      stats_.dropped_closed.fetch_add(1);
      return Error(Errc::not_supported, "uploader closed");
    }
    if (bytes_ + job.cost > capacity_) {
      stats_.dropped_full.fetch_add(1);
      return Error(Errc::busy,
                   fmt::format("upload queue full ({} of {} bytes)", bytes_, capacity_));
    }
    bytes_ += job.cost;
    stats_.queue_bytes.fetch_add(job.cost);
    stats_.queue_jobs.fetch_add(1);
    queue_.push_back(std::move(job));
  }
  work_.notify_one();
  return Status::ok();
}

Status Uploader::enqueue_put(std::string ns, std::string name, std::string bytes) {
  if (bytes.size() > client_.options().max_object_size) {
    stats_.refused_too_big.fetch_add(1);
    return Error(Errc::too_big,
                 fmt::format("{}: {} bytes above max_object_size", name, bytes.size()));
  }
  Job j;
  j.kind = Job::Kind::put;
  j.cost = bytes.size();
  j.ns = std::move(ns);
  j.name = std::move(name);
  j.bytes = std::move(bytes);
  return push(std::move(j));
}

Status Uploader::enqueue_encoded(std::string ns, std::string name, EncodedObject object) {
  uint64_t raw = 0;
  for (const auto& c : object.chunks) {
    auto n = chunk_raw_len(c);
    raw += n.is_ok() ? *n : 0;  // a damaged chunk fails at upload, counted there
  }
  if (raw > client_.options().max_object_size) {
    stats_.refused_too_big.fetch_add(1);
    return Error(Errc::too_big, fmt::format("{}: {} bytes above max_object_size", name, raw));
  }
  Job j;
  j.kind = Job::Kind::encoded;
  for (const auto& c : object.chunks) j.cost += c.size();
  j.ns = std::move(ns);
  j.name = std::move(name);
  j.encoded = std::move(object);
  return push(std::move(j));
}

Status Uploader::enqueue_pair(std::string ns, std::string action_name, std::string action,
                              std::string output) {
  if (output.size() > client_.options().max_object_size) {
    stats_.refused_too_big.fetch_add(1);
    return Error(Errc::too_big, fmt::format("{}: output of {} bytes above max_object_size",
                                            action_name, output.size()));
  }
  Job j;
  j.kind = Job::Kind::pair;
  j.cost = action.size() + output.size();
  j.ns = std::move(ns);
  j.name = std::move(action_name);
  j.bytes = std::move(action);
  j.output = std::move(output);
  return push(std::move(j));
}

void Uploader::run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    Status s;
    try {  // a thread boundary: nothing may escape (std::bad_alloc on a huge job)
      switch (job.kind) {
        case Job::Kind::put:
          s = client_.put(job.ns, job.name, job.bytes, &cancel_);
          break;
        case Job::Kind::encoded:
          s = client_.put_encoded(job.ns, job.name, job.encoded, &cancel_);
          break;
        case Job::Kind::pair:
          s = client_.put_pair(job.ns, job.name, job.bytes, job.output, &cancel_);
          break;
      }
    } catch (const std::exception& e) {
      s = Error(Errc::io, fmt::format("upload of {}: {}", job.name, e.what()));
    }
    if (s) {
      stats_.uploads_done.fetch_add(1);
    } else {
      // The client counted the fault by kind; a refused upload is only a lost share.
      stats_.uploads_failed.fetch_add(1);
      spdlog::debug("remote upload of {} failed: {}", job.name, s.error().message());
    }
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      bytes_ -= job.cost;
      stats_.queue_bytes.fetch_sub(job.cost);
      stats_.queue_jobs.fetch_sub(1);
    }
    idle_.notify_all();
  }
}

size_t Uploader::close(Deadline deadline) {
  std::unique_lock lock(mu_);
  if (stop_) return 0;
  closed_ = true;
  idle_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; });
  const size_t abandoned = queue_.size() + in_flight_;
  for (const Job& j : queue_) {
    bytes_ -= j.cost;
    stats_.queue_bytes.fetch_sub(j.cost);
    stats_.queue_jobs.fetch_sub(1);
  }
  stats_.dropped_closed.fetch_add(abandoned);
  queue_.clear();
  stop_ = true;
  cancel_.store(true);
  lock.unlock();
  work_.notify_all();
  for (auto& t : threads_) t.join();
  if (abandoned > 0) spdlog::info("remote uploader closed, {} upload(s) abandoned", abandoned);
  return abandoned;
}

}  // namespace gcfs::remote
