// The ZAP handler (RFC 27): lets in agents whose CURVE public key is allow-listed, names unknown keys.
#include "fleet_impl.h"

#include <spdlog/spdlog.h>

namespace dockhand::fleet {

using namespace internal;
using protocol::Outcome;
using namespace std::chrono_literals;

void Fleet::Impl::zap_loop() {
  while (!stopping) {
    zmq::pollitem_t item{zap->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, 100ms);
    if (!(item.revents & ZMQ_POLLIN)) continue;
    auto frames = protocol::recv_frames(*zap);
    if (!frames || frames->size() < 6) continue;
    const auto& version = (*frames)[0];
    const auto& request_id = (*frames)[1];
    const auto& domain = (*frames)[2];
    const auto& address = (*frames)[3];
    const auto& mechanism = (*frames)[5];
    std::string status = "400", text, user, why;
    if (version != "1.0") {
      text = "unsupported ZAP version";
      why = "unsupported ZAP version " + version;
    } else if (domain != kZapDomain) {
      text = "wrong ZAP domain";
      why = "wrong ZAP domain";
    } else if (mechanism != "CURVE" || frames->size() < 7 || (*frames)[6].size() != 32) {
      text = "CURVE required";
      why = "it did not offer CURVE (" + mechanism.substr(0, 16) + ")";
    } else {
      char z85[41];
      zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>((*frames)[6].data()), 32);
      if (allowed_keys.count(z85)) {
        status = "200";
        text = "OK";
        user = z85;
      } else {
        text = "key not allow-listed";
        why = "its CURVE public key is not allow-listed";
        ++refused_keys;
        // An unknown key is named once (so an operator can allow-list a new agent), at most a few an hour;
        // the refusal itself is one line that the log folds when it repeats.
        if (Clock::now() - unknown_keys_hour > 1h) {
          unknown_keys_named.clear();
          unknown_keys_hour = Clock::now();
        }
        if (unknown_keys_named.size() < kMaxUnknownKeysNamed && unknown_keys_named.insert(z85).second)
          spdlog::warn("fleet: an agent key that is not allow-listed: {}, first seen from {} (to let this agent "
                       "in, add its .pub file to the fleet's agent_keys)", z85, address);
      }
    }
    if (status != "200") spdlog::warn("fleet: refused a connection from {}: {}", address, why);
    protocol::send_frames(*zap, {"1.0", request_id, status, text, user, ""}, nullptr, false);
  }
}

}  // namespace dockhand::fleet
