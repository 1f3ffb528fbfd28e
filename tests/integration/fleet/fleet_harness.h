// Test helpers for the fleet: in-process agents (the real Worker over real TCP sockets on loopback),
// and a TCP relay that records every byte on the wire.
#pragma once

#include "agent/protocol/worker.h"
#include "orchestrator/fleet/fleet.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fleet_test {

using namespace std::chrono_literals;
using dockhand::protocol::Job;
using dockhand::protocol::JobControl;
using dockhand::protocol::Outcome;
using dockhand::protocol::Result;

// An agent running the real Worker loop on its own thread. die() stops it without a goodbye, like SIGKILL
// as far as the orchestrator can tell (no more heartbeats, no result).
class TestAgent {
 public:
  TestAgent(dockhand::protocol::WorkerConfig cfg, dockhand::protocol::JobExecutor executor)
      : worker_(std::make_unique<dockhand::protocol::Worker>(std::move(cfg), std::move(executor))) {
    thread_ = std::thread([this] { worker_->run(stop_); });
  }
  ~TestAgent() { die(); }
  void die() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const dockhand::protocol::WorkerStats& stats() const { return worker_->stats(); }

 private:
  std::atomic<bool> stop_{false};
  std::unique_ptr<dockhand::protocol::Worker> worker_;
  std::thread thread_;
};

inline dockhand::protocol::WorkerConfig agent_config(const std::string& endpoint, const std::string& id,
                                                     std::vector<std::string> apps,
                                                     std::chrono::milliseconds heartbeat = 200ms) {
  dockhand::protocol::WorkerConfig cfg;
  cfg.endpoint = endpoint;
  cfg.agent_id = id;
  cfg.apps = std::move(apps);
  cfg.insecure = true;
  cfg.heartbeat_interval = heartbeat;
  cfg.reconnect_min = 100ms;
  cfg.reconnect_max = 800ms;
  return cfg;
}

inline dockhand::fleet::FleetConfig insecure_fleet(std::chrono::milliseconds heartbeat = 200ms) {
  dockhand::fleet::FleetConfig cfg;
  cfg.bind = "tcp://127.0.0.1:*";
  cfg.insecure = true;
  cfg.heartbeat_interval = heartbeat;
  cfg.ack_timeout = 1000ms;
  cfg.retry_backoff = 100ms;
  cfg.retry_backoff_max = 400ms;
  return cfg;
}

inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

inline Result ok_result(std::map<std::string, std::string> outputs = {}) {
  Result r;
  r.outputs = std::move(outputs);
  return r;
}

// Forwards TCP connections from a loopback port to a target port and records both directions.
class TcpRelay {
 public:
  explicit TcpRelay(int target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~TcpRelay() {
    stop_ = true;
    accept_thread_.join();
    for (auto& t : pumps_) t.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  std::string captured() {
    std::lock_guard lock(mutex_);
    return captured_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }
  void pump(int a, int b) {
    char buf[65536];
    while (!stop_) {
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          closed = true;
          break;
        }
        {
          std::lock_guard lock(mutex_);
          captured_.append(buf, static_cast<std::size_t>(n));
        }
        ::send(i == 0 ? b : a, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
      if (closed) break;
    }
    ::close(a);
    ::close(b);
  }

  int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;
  std::mutex mutex_;
  std::string captured_;
};

// Collects every log line of the default logger (both sides log through it in these tests) while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<Sink>()) { spdlog::default_logger()->sinks().push_back(sink_); }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  bool contains(const std::string& text) const { return sink_->contains(text); }
  std::string all() const { return sink_->all(); }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    bool contains(const std::string& text) {
      std::lock_guard lock(mutex_);
      return text_.find(text) != std::string::npos;
    }
    std::string all() {
      std::lock_guard lock(mutex_);
      return text_;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      text_.append(msg.payload.data(), msg.payload.size());
      text_ += '\n';
    }
    void flush_() override {}

   private:
    std::string text_;
  };
  std::shared_ptr<Sink> sink_;
};

inline int port_of(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

}  // namespace fleet_test
