// A small libcurl wrapper: one request in, status + headers + body out. Reuses easy handles (and so
// keep-alive connections) from a pool, so many threads may call perform() at once.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::spapi {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string header(const std::string& lower_name) const;
};

// No HTTP answer at all. `request_sent` is false only when the request certainly never left
// (name resolution or connection failed), which makes even a non-idempotent call safe to repeat.
class TransportError : public std::runtime_error {
 public:
  TransportError(const std::string& what, int curl_code, bool request_sent)
      : std::runtime_error(what), curl_code(curl_code), request_sent(request_sent) {}
  int curl_code;
  bool request_sent;
};

class HttpTransport {
 public:
  HttpTransport();
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  HttpResponse perform(const HttpRequest& request);

 private:
  void* take_handle();
  void give_back(void* handle);
  std::mutex mutex_;
  std::vector<void*> idle_;
};

}  // namespace dockhand::spapi
