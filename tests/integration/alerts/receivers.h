// Local receivers for the alert tests, on 127.0.0.1 and stopped by their destructors whatever the test does:
// a small SMTP server (enough of RFC 5321 for libcurl: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) that can be
// "down" (it answers 421 and hangs up, as a server out of service does) and a webhook receiver (httplib).
#pragma once

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dockhand::alerts::testing {

inline std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    auto at = chars.find(c);
    if (at == std::string::npos) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

struct ReceivedEmail {
  std::string from, user, password;
  std::vector<std::string> to;
  std::string data;  // headers and body as sent (dot-unstuffed)
};

class SmtpSink {
 public:
  SmtpSink() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 16) != 0)
      throw std::runtime_error("SMTP sink: cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SmtpSink() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  void set_down(bool down) { down_ = down; }
  std::size_t refused() const { return refused_; }
  std::vector<ReceivedEmail> emails() {
    std::lock_guard lock(mutex_);
    return emails_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (down_) {
        say(fd, "421 sink out of service, try again later\r\n");
        ++refused_;
      } else {
        session(fd);
      }
      ::close(fd);
    }
  }
  static void say(int fd, const std::string& text) { (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }
  // One line (CRLF stripped); false when the client went away.
  bool line(int fd, std::string& out) {
    out.clear();
    for (;;) {
      if (auto eol = pending_.find("\r\n"); eol != std::string::npos) {
        out = pending_.substr(0, eol);
        pending_.erase(0, eol + 2);
        return true;
      }
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }
  void session(int fd) {
    pending_.clear();
    ReceivedEmail mail;
    say(fd, "220 sink.localhost ESMTP test sink\r\n");
    std::string l;
    while (line(fd, l)) {
      std::string verb = l.substr(0, l.find(' '));
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        say(fd, "250-sink.localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
      } else if (verb == "AUTH") {
        std::string initial = l.size() > 11 ? l.substr(11) : "";  // "AUTH PLAIN <b64>"
        if (initial.empty()) {
          say(fd, "334 \r\n");
          if (!line(fd, initial)) return;
        }
        auto plain = base64_decode(initial);  // authzid \0 user \0 password
        auto a = plain.find('\0'), b = plain.find('\0', a + 1);
        if (a == std::string::npos || b == std::string::npos) {
          say(fd, "501 bad AUTH PLAIN\r\n");
          continue;
        }
        mail.user = plain.substr(a + 1, b - a - 1);
        mail.password = plain.substr(b + 1);
        say(fd, "235 2.7.0 authenticated\r\n");
      } else if (verb == "MAIL") {
        mail.from = l.substr(l.find(':') + 1);
        say(fd, "250 ok\r\n");
      } else if (verb == "RCPT") {
        mail.to.push_back(l.substr(l.find(':') + 1));
        say(fd, "250 ok\r\n");
      } else if (verb == "DATA") {
        say(fd, "354 go ahead\r\n");
        std::string data;
        while (line(fd, l) && l != ".") data += (l.rfind("..", 0) == 0 ? l.substr(1) : l) + "\n";
        mail.data = data;
        {
          std::lock_guard lock(mutex_);
          emails_.push_back(mail);
        }
        say(fd, "250 queued\r\n");
      } else if (verb == "QUIT") {
        say(fd, "221 bye\r\n");
        return;
      } else {
        say(fd, "250 ok\r\n");
      }
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, down_{false};
  std::atomic<std::size_t> refused_{0};
  std::string pending_;
  std::mutex mutex_;
  std::vector<ReceivedEmail> emails_;
  std::thread thread_;
};

struct ReceivedPost {
  std::string authorization, content_type, body;
};

class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex_);
        if (failing_) {
          ++refused_;
          res.status = 503;
          res.set_content("{\"error\":\"receiver out of service\"}", "application/json");
          return;
        }
        posts_.push_back({req.get_header_value("Authorization"), req.get_header_value("Content-Type"), req.body});
      }
      res.set_content("{\"ok\":true}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("webhook receiver: cannot listen on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  // Out of service: every POST answered 503 (and not kept).
  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  std::size_t refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  std::vector<ReceivedPost> posts() {
    std::lock_guard lock(mutex_);
    return posts_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<ReceivedPost> posts_;
  bool failing_ = false;
  std::size_t refused_ = 0;
  std::thread thread_;
};

}  // namespace dockhand::alerts::testing
