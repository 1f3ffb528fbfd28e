// console/: login, logout and an operator's actions (docs/console.md). Every action is one store transaction
// with its event written by "console:NAME"; a refused one changes nothing.
#include "internal.h"

#include <spdlog/spdlog.h>

namespace dockhand::console {

using json = nlohmann::json;

namespace {

// The body as a JSON object ({} when empty); nullopt, with a 400 sent, when it is anything else.
std::optional<json> body_object(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    send_error(res, 400, "the body is not JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    send_error(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// An optional (or, with `required`, non-empty) string field; nullopt, with a 400 sent, when it is wrong.
std::optional<std::string> text_field(const json& body, const char* key, bool required, httplib::Response& res) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (!required) return std::string();
    send_error(res, 400, std::string(key) + " is required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    send_error(res, 400, std::string(key) + " must be a string");
    return std::nullopt;
  }
  auto text = it->get<std::string>();
  if (required && text.find_first_not_of(" \t\r\n") == std::string::npos) {
    send_error(res, 400, std::string(key) + " must not be empty");
    return std::nullopt;
  }
  if (text.size() > 4000) {
    send_error(res, 400, std::string(key) + " is longer than 4000 characters");
    return std::nullopt;
  }
  return text;
}

std::string cookie(const Context& context, const std::string& value, std::chrono::seconds max_age) {
  const bool secure = !context.options.tls_cert.empty() || context.options.public_url.rfind("https://", 0) == 0;
  return std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age.count()) + (secure ? "; Secure" : "");
}

std::string session_of(const httplib::Request& req) {
  auto header = req.get_header_value("Cookie");
  const std::string key = std::string(kSessionCookie) + "=";
  for (std::size_t start = 0; start < header.size();) {
    auto end = header.find(';', start);
    if (end == std::string::npos) end = header.size();
    auto part = header.substr(start, end - start);
    part.erase(0, part.find_first_not_of(' '));
    if (part.rfind(key, 0) == 0) return part.substr(key.size());
    start = end + 1;
  }
  return "";
}

// Runs one action: the request must exist, the action's refusal is a 409, its success {"ok":true,"state"}.
template <typename Act>
void act(Context& context, const httplib::Request& req, httplib::Response& res, const char* name, Act&& action) {
  auto id = id_of(req, res);
  if (!id) return;
  auto who = authenticate(context, req);
  const std::string actor = "console:" + who->name;
  try {
    if (!context.options.store) return send_error(res, 503, "this console cannot act (no store to write)");
    if (!context.reader->request(*id)) return send_error(res, 404, "no routing request #" + std::to_string(*id));
    auto state = action(*id, actor);
    if (!state) return;  // the action answered itself
    spdlog::info("console: {} {} routing request #{}: now {}", actor, name, *id, chain::to_string(*state));
    if (context.options.wake) context.options.wake();
    send_json(res, 200, {{"ok", true}, {"state", chain::to_string(*state)}});
  } catch (const chain::TransitionError& e) {
    send_error(res, 409, e.what());
  }
}

}  // namespace

std::optional<Identity> authenticate(Context& context, const httplib::Request& request) {
  auto header = request.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0) return context.tokens.find(std::string_view(header).substr(7));
  if (auto session = session_of(request); !session.empty()) return context.sessions->find(session);
  return std::nullopt;
}

void add_action_routes(httplib::Server& server, Context& context) {
  server.Post("/api/login", [&context](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req, res);
    if (!body) return;
    auto token = text_field(*body, "token", true, res);
    if (!token) return;
    auto who = context.tokens.find(*token);
    if (!who) return send_error(res, 401, "this token is not valid");
    res.set_header("Set-Cookie", cookie(context, context.sessions->open(*who), context.options.session_ttl));
    spdlog::info("console: {} ({}) logged in from {}", who->name, role_name(who->role), req.remote_addr);
    send_json(res, 200, {{"name", who->name}, {"role", role_name(who->role)}});
  });

  server.Post("/api/logout", [&context](const httplib::Request& req, httplib::Response& res) {
    if (auto session = session_of(req); !session.empty()) context.sessions->close(session);
    res.set_header("Set-Cookie", cookie(context, "", std::chrono::seconds(0)));
    send_json(res, 200, {{"ok", true}});
  });

  server.Post(R"(/api/requests/(\d+)/retry)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req, res);
    if (!body) return;
    auto comment = text_field(*body, "comment", false, res);
    if (!comment) return;
    act(context, req, res, "retried", [&](std::int64_t id, const std::string& actor) -> std::optional<chain::State> {
      return context.options.store->operator_retry(id, actor, *comment);
    });
  });

  // The freight left: the chain sends the ASN (docs/console.md). {"bol": "...", "comment": "..."}; the BOL is
  // needed only for a shipment OpShip's close-out gave none.
  server.Post(R"(/api/requests/(\d+)/depart)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req, res);
    if (!body) return;
    auto comment = text_field(*body, "comment", false, res);
    auto bol = comment ? text_field(*body, "bol", false, res) : std::nullopt;
    if (!comment || !bol) return;
    act(context, req, res, "marked departed", [&](std::int64_t id, const std::string& actor) -> std::optional<chain::State> {
      context.options.store->record_departure(id, *bol, nullptr, actor,
                                              "departed (marked by the operator)" + (comment->empty() ? "" : ": " + *comment));
      return chain::State::DEPARTED;
    });
  });

  for (auto [path, to] : {std::pair{R"(/api/requests/(\d+)/cancel)", chain::State::CANCELLED},
                          std::pair{R"(/api/requests/(\d+)/resolve)", chain::State::RESOLVED}}) {
    server.Post(path, [&context, to = to](const httplib::Request& req, httplib::Response& res) {
      auto body = body_object(req, res);
      if (!body) return;
      auto comment = text_field(*body, "comment", true, res);
      if (!comment) return;
      const char* verb = to == chain::State::CANCELLED ? "cancelled" : "resolved";
      act(context, req, res, verb, [&](std::int64_t id, const std::string& actor) -> std::optional<chain::State> {
        if (to == chain::State::CANCELLED)
          context.options.store->operator_cancel(id, actor, *comment);
        else
          context.options.store->operator_resolve(id, actor, *comment);
        return to;
      });
    });
  }

  server.Post(R"(/api/requests/(\d+)/resubmit)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto body = body_object(req, res);
    if (!body) return;
    auto comment = text_field(*body, "comment", false, res);
    if (!comment) return;
    auto it = body->find("extracted");
    if (it == body->end() || !it->is_object()) return send_error(res, 400, "extracted (a JSON object) is required");
    // The operator says it is a routing request, read as edited.
    json extracted = *it;
    extracted["classification"] = "amazon_routing_request";
    extracted.erase("attention");
    intake::RoutingRequest request;
    try {
      request = extracted.get<intake::RoutingRequest>();
    } catch (const json::exception& e) {
      return send_error(res, 400, std::string("extracted is not a routing request: ") + e.what());
    }
    if (request.purchase_orders.empty()) return send_error(res, 400, "extracted names no purchase order");
    act(context, req, res, "resubmitted", [&](std::int64_t id, const std::string& actor) -> std::optional<chain::State> {
      // Refused before planning (its state, a shipment that reached Amazon); checked again when it is written.
      if (auto refusal = context.reader->resubmit_refusal(id)) throw chain::ActionRefused(*refusal);
      if (!context.options.plan) {
        send_error(res, 503, "this console cannot check a resubmission against the pre-tender rules");
        return std::nullopt;
      }
      pretender::Plan plan;
      try {
        plan = context.options.plan(request);
      } catch (const std::exception& e) {
        send_json(res, 422, {{"error", std::string("planning failed: ") + e.what()}, {"findings", json::array()}});
        return std::nullopt;
      }
      if (!plan.ok() || plan.shipments.empty()) {
        std::string failed;
        for (const auto& f : plan.findings)
          if (f.severity == "error") failed += (failed.empty() ? "" : "; ") + f.message;
        if (failed.empty()) failed = "no shipment could be planned";
        send_json(res, 422, {{"error", "the pre-tender rules refused it, nothing was sent: " + failed},
                             {"findings", plan.findings}});
        return std::nullopt;
      }
      context.options.store->operator_resubmit(id, extracted, actor, *comment);
      return chain::State::EXTRACTED;
    });
  });
}

}  // namespace dockhand::console
