// The alert channels: email through SMTP and a webhook POST, both with libcurl; and the words of an alert.
#include "orchestrator/alerts/alerts.h"

#include <curl/curl.h>

#include <ctime>
#include <memory>
#include <stdexcept>

namespace dockhand::alerts {
namespace {

// One line for a header: CR, LF and other controls become spaces, so no text of an email (a reason quoting
// the mail) can add a header.
std::string one_line(const std::string& text, std::size_t max = 200) {
  std::string out;
  for (unsigned char c : text) out += c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
  if (out.size() > max) out = out.substr(0, max) + "...";
  return out;
}

// RFC 2047 encoded word when the text is not plain ASCII (a brand or reason in another script).
std::string header_text(const std::string& text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  if (ascii) return text;
  static const char* const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
    out += b64[(n >> 18) & 63];
    out += b64[(n >> 12) & 63];
    out += i + 1 < text.size() ? b64[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? b64[n & 63] : '=';
  }
  return "=?UTF-8?B?" + out + "?=";
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct CurlHandle {
  CurlHandle() : h(curl_easy_init()) {
    if (!h) throw std::runtime_error("libcurl could not make a handle");
  }
  ~CurlHandle() {
    curl_easy_cleanup(h);
    if (list) curl_slist_free_all(list);
  }
  void add(curl_slist*& to, const std::string& line) { to = curl_slist_append(to, line.c_str()); }
  // Runs the transfer; throws with libcurl's reason (never the password: it is not part of any message).
  void perform(const std::string& what) {
    error[0] = 0;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
      throw std::runtime_error(what + ": " + (error[0] ? std::string(error) : curl_easy_strerror(rc)));
  }
  void tls(const std::string& ca_file, bool verify_peer) {
    if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify_peer ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify_peer ? 2L : 0L);
  }
  CURL* h;
  curl_slist* list = nullptr;
  char error[CURL_ERROR_SIZE];
};

class EmailChannel : public Channel {
 public:
  explicit EmailChannel(EmailSettings s) : s_(std::move(s)) {}
  std::string name() const override { return "email"; }
  void send(const Alert& alert) override {
    std::string to_header;
    for (const auto& to : s_.to) to_header += (to_header.empty() ? "" : ", ") + to;
    std::string message = "Date: " + rfc5322_date() + "\r\nFrom: " + s_.from + "\r\nTo: " + to_header +
                          "\r\nSubject: " + header_text(one_line(alert.subject)) + "\r\nMessage-ID: <" +
                          alert.item + "." + std::to_string(std::time(nullptr)) + "@dockhand>\r\nX-Dockhand-Item: " +
                          one_line(alert.item) +
                          "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n\r\n";
    for (char c : alert.text) {
      if (c == '\n') message += "\r\n";
      else if (c != '\r') message += c;
    }
    message += "\r\n";

    CurlHandle c;
    curl_easy_setopt(c.h, CURLOPT_URL, s_.url.c_str());
    curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c.h, CURLOPT_USE_SSL, s_.allow_plaintext ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    c.tls(s_.ca_file, s_.verify_peer);
    if (!s_.user.empty()) {
      curl_easy_setopt(c.h, CURLOPT_USERNAME, s_.user.c_str());
      curl_easy_setopt(c.h, CURLOPT_PASSWORD, s_.password.c_str());
    }
    const std::string from = "<" + s_.from + ">";
    curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, from.c_str());
    for (const auto& to : s_.to) c.add(c.list, "<" + to + ">");
    curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, c.list);
    std::size_t offset = 0;
    struct Reader {
      const std::string* data;
      std::size_t* offset;
    } reader{&message, &offset};
    curl_easy_setopt(c.h, CURLOPT_READFUNCTION, +[](char* buffer, size_t size, size_t n, void* user) -> size_t {
      auto* r = static_cast<Reader*>(user);
      const std::size_t left = r->data->size() - *r->offset;
      const std::size_t take = std::min(left, size * n);
      r->data->copy(buffer, take, *r->offset);
      *r->offset += take;
      return take;
    });
    curl_easy_setopt(c.h, CURLOPT_READDATA, &reader);
    curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(s_.timeout.count(), 10000)));
    curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout.count()));
    c.perform("SMTP " + s_.url);
  }

 private:
  EmailSettings s_;
};

class WebhookChannel : public Channel {
 public:
  explicit WebhookChannel(WebhookSettings s) : s_(std::move(s)) {}
  std::string name() const override { return "webhook"; }
  void send(const Alert& alert) override {
    const std::string body = alert.json.dump();
    CurlHandle c;
    curl_easy_setopt(c.h, CURLOPT_URL, s_.url.c_str());
    curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
    c.tls(s_.ca_file, s_.verify_peer);
    c.add(c.list, "Content-Type: application/json");
    c.add(c.list, "User-Agent: dockhand-alerts/1");
    if (!s_.bearer_token.empty()) c.add(c.list, "Authorization: Bearer " + s_.bearer_token);
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.list);
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    std::string answer;
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
      auto* out = static_cast<std::string*>(user);
      if (out->size() < 300) out->append(data, std::min<std::size_t>(size * n, 300 - out->size()));
      return size * n;
    });
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(s_.timeout.count(), 10000)));
    curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout.count()));
    c.perform("POST " + s_.url);
    long status = 0;
    curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300)
      throw std::runtime_error("POST " + s_.url + ": HTTP " + std::to_string(status) + ": " + one_line(answer, 120));
  }

 private:
  WebhookSettings s_;
};

}  // namespace

std::unique_ptr<Channel> email_channel(EmailSettings settings) { return std::make_unique<EmailChannel>(std::move(settings)); }
std::unique_ptr<Channel> webhook_channel(WebhookSettings settings) {
  return std::make_unique<WebhookChannel>(std::move(settings));
}

std::vector<std::string> AlertSettings::channels() const {
  std::vector<std::string> out;
  if (email) out.push_back("email");
  if (webhook) out.push_back("webhook");
  return out;
}

Alert compose(const std::string& item, const nlohmann::json& content, const std::string& console_url) {
  Alert a;
  a.item = item;
  const std::string kind = content.value("kind", std::string("request"));
  std::string base = console_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  a.json = {{"item", item}, {"kind", kind}};
  if (kind == "agent") {
    const std::string agent = content.value("agent", std::string());
    const std::string link = base.empty() ? "" : base + "/#/fleet";
    a.subject = "Dockhand: agent " + agent + " went silent";
    a.text = "The desktop agent " + agent + " stopped answering (" + content.value("detail", std::string()) +
             ").\nIts job, if it had one, goes to another agent.\n\nTime: " + content.value("time", std::string()) +
             (link.empty() ? "" : "\nFleet: " + link) + "\n";
    a.json.update({{"agent", agent}, {"detail", content.value("detail", std::string())},
                   {"time", content.value("time", std::string())}, {"link", link}});
    return a;
  }
  const auto request = content.value("request", std::int64_t{0});
  const std::string state = content.value("state", std::string());
  const std::string brand = content.value("brand", std::string());
  std::string reason = content.value("reason", std::string());
  // A deadline (the event DEADLINE) says why in its detail; the request's reason is about something else.
  if (reason.empty() || state == "DEADLINE") reason = content.value("detail", std::string());
  const std::string link = base.empty() ? "" : base + "/#/request/" + std::to_string(request);
  a.subject = "Dockhand: routing request #" + std::to_string(request) +
              (state == "REJECTED" ? " was rejected by Amazon" : state == "DEADLINE" ? " is late" : " needs attention") +
              (brand.empty() ? "" : " (" + brand + ")");
  a.text = "Routing request #" + std::to_string(request) + (brand.empty() ? "" : " of " + brand) + " is " +
           (state == "DEADLINE" ? std::string("late") : state) + " since " + content.value("time", std::string()) +
           ".\n\nReason: " + reason + "\n" +
           (link.empty() ? "" : "\nOpen it in the console: " + link + "\n");
  a.json.update({{"request", request}, {"state", state}, {"brand", brand}, {"reason", reason},
                 {"time", content.value("time", std::string())}, {"link", link}});
  return a;
}

}  // namespace dockhand::alerts
