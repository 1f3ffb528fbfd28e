// The Alerter: one thread per channel, each sending its channel's due alerts from the store and retrying a
// failed one with backoff. The chain never waits for it: it only wakes the threads.
#include "orchestrator/alerts/alerts.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dockhand::alerts {

struct Alerter::Impl {
  AlertSettings settings;
  chain::Store& store;
  std::vector<std::unique_ptr<Channel>> channels;
  std::vector<std::string> names;
  std::function<void(const std::string&, bool)> on_attempt;

  std::mutex mutex;
  std::condition_variable changed;
  bool stopping = false;
  std::uint64_t wakes = 0;                                  // bumped by wake(): every thread looks again
  std::vector<std::pair<std::string, nlohmann::json>> agents;  // silent agents not in the store yet
  std::vector<std::thread> threads;

  Impl(AlertSettings s, chain::Store& st, std::vector<std::unique_ptr<Channel>> c,
       std::function<void(const std::string&, bool)> attempt)
      : settings(std::move(s)), store(st), channels(std::move(c)), on_attempt(std::move(attempt)) {
    for (const auto& ch : channels) names.push_back(ch->name());
  }

  std::chrono::milliseconds backoff(int attempts) const {
    auto wait = settings.retry_initial;
    for (int i = 1; i < attempts && wait < settings.retry_max; ++i) wait *= 2;
    return std::min(wait, settings.retry_max);
  }

  // Puts what is new into the store (idempotent: any thread may do it).
  void collect() {
    std::vector<std::pair<std::string, nlohmann::json>> silent;
    {
      std::lock_guard lock(mutex);
      silent.swap(agents);
    }
    for (const auto& [item, content] : silent) store.add_alert(item, content, names);
    store.collect_request_alerts(names);
  }

  void deliver(Channel& channel) {
    const auto now = std::chrono::system_clock::now();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    for (const auto& record : store.due_alerts(channel.name(), now_ms)) {
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
      }
      const auto alert = compose(record.item, record.content, settings.console_url);
      try {
        channel.send(alert);
        store.alert_sent(record.item, channel.name());
        spdlog::info("alerts: {} sent: {}", channel.name(), alert.subject);
        if (on_attempt) on_attempt(channel.name(), true);
      } catch (const std::exception& e) {
        const auto wait = backoff(record.attempts + 1);
        store.alert_failed(record.item, channel.name(), e.what(), now_ms + wait.count());
        spdlog::warn("alerts: {} failed (attempt {}) for \"{}\": {}; trying again in {} s", channel.name(),
                     record.attempts + 1, alert.subject, e.what(), (wait.count() + 999) / 1000);
        if (on_attempt) on_attempt(channel.name(), false);
      }
    }
  }

  void run(Channel& channel) {
    for (;;) {
      // Taken before the look, not after it: a wake that comes while this thread looks (another thread
      // may put the alert into the store just after this one read it) makes it look again at once.
      std::uint64_t seen;
      {
        std::lock_guard lock(mutex);
        seen = wakes;
      }
      std::chrono::milliseconds wait{60000};  // a look now and then even without a wake (a missed one)
      try {
        collect();
        deliver(channel);
        if (auto next = store.next_alert_due_ms(channel.name())) {
          const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
          wait = std::clamp(std::chrono::milliseconds(*next - now_ms), std::chrono::milliseconds(0), wait);
        }
      } catch (const std::exception& e) {
        spdlog::error("alerts: {}: the store could not be read or written: {}", channel.name(), e.what());
        wait = std::chrono::milliseconds(1000);
      }
      std::unique_lock lock(mutex);
      changed.wait_for(lock, wait, [&] { return stopping || wakes != seen; });
      if (stopping) return;
    }
  }
};

namespace {
std::vector<std::unique_ptr<Channel>> channels_of(const AlertSettings& s) {
  std::vector<std::unique_ptr<Channel>> out;
  if (s.email) out.push_back(email_channel(*s.email));
  if (s.webhook) out.push_back(webhook_channel(*s.webhook));
  return out;
}
}  // namespace

Alerter::Alerter(AlertSettings settings, chain::Store& store, std::function<void(const std::string&, bool)> on_attempt)
    : Alerter(settings, store, channels_of(settings), std::move(on_attempt)) {}

Alerter::Alerter(AlertSettings settings, chain::Store& store, std::vector<std::unique_ptr<Channel>> channels,
                 std::function<void(const std::string&, bool)> on_attempt)
    : impl_(std::make_unique<Impl>(std::move(settings), store, std::move(channels), std::move(on_attempt))) {
  // At once, on the caller's thread: the first look on a store marks where alerting starts, so whatever
  // happens after the constructor returns is announced.
  impl_->store.collect_request_alerts(impl_->names);
  for (auto& channel : impl_->channels) impl_->threads.emplace_back([this, c = channel.get()] { impl_->run(*c); });
}

Alerter::~Alerter() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->changed.notify_all();
  for (auto& t : impl_->threads) t.join();
}

void Alerter::wake() {
  {
    std::lock_guard lock(impl_->mutex);
    ++impl_->wakes;
  }
  impl_->changed.notify_all();
}

void Alerter::agent_silent(const std::string& agent_id, const std::string& detail) {
  if (!impl_->settings.agent_silent) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->agents.push_back({"agent-" + agent_id + "-" + std::to_string(ms),
                             {{"kind", "agent"}, {"agent", agent_id}, {"detail", detail}, {"time", when}}});
    ++impl_->wakes;
  }
  impl_->changed.notify_all();
}

}  // namespace dockhand::alerts
