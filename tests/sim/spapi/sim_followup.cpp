// Amazon's side after a shipment is accepted (issue 23): the carrier assigned only after a number of looks
// at the shipment (carrier_polls), the transport labels (getShipmentLabels), and the ASN
// (submitShipmentConfirmations) with its transaction; an ASN for a shipment Amazon does not have fails.
#include "sim_payload.h"
#include "simulator.h"

namespace dockhand::sim {

namespace {

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += table[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += table[(buffer << (6 - bits)) & 0x3F];
  while (out.size() % 4) out += '=';
  return out;
}

// A one-page PDF with the label's text: enough for a printer, and for a test to read back.
std::string label_pdf(const std::string& text) {
  const std::string stream = "BT /F1 14 Tf 36 100 Td (" + text + ") Tj ET";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 432 288] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const auto xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto o : offsets) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// The model's required fields of each ShipmentConfirmation; the errors, Amazon-style, or none.
json validate_confirmations(const json& body) {
  json errors = json::array();
  if (!body.is_object() || !body.contains("shipmentConfirmations") || !body["shipmentConfirmations"].is_array() ||
      body["shipmentConfirmations"].empty()) {
    errors.push_back({{"code", "InvalidInput"}, {"message", "shipmentConfirmations is required and must not be empty"}});
    return errors;
  }
  for (const auto& c : body["shipmentConfirmations"])
    for (const char* field : {"sellingParty", "shipFromParty", "shipToParty", "shipmentConfirmationDate",
                              "shipmentConfirmationType", "shipmentIdentifier", "shippedItems"})
      if (!c.is_object() || !c.contains(field))
        errors.push_back({{"code", "InvalidInput"}, {"message", std::string(field) + " is required"}});
  return errors;
}

}  // namespace

bool Simulator::carrier_pending(json& entry) {
  if (!entry.contains("carrier_looks_left")) return false;
  const int left = entry["carrier_looks_left"].get<int>() - 1;
  if (left > 0) {
    entry["carrier_looks_left"] = left;
    return true;
  }
  entry.erase("carrier_looks_left");
  confirm(entry["shipment"]);
  return false;
}

void Simulator::accepted(json& entry) {
  if (opt_.carrier_polls <= 0) return confirm(entry["shipment"]);
  // Amazon asks a carrier; it is named only after carrier_polls more looks at the shipment.
  entry["shipment"]["currentShipmentStatus"] = "TransportationRequested";
  entry["shipment"]["currentshipmentStatusDate"] = iso(now_ms());
  entry["carrier_looks_left"] = opt_.carrier_polls;
}

void Simulator::labels(const httplib::Request& req, httplib::Response& res) {
  const std::string wanted = req.get_param_value("vendorShipmentIdentifier");
  json list = json::array();
  auto& shipments = data_["shipments"];
  if (shipments.contains(wanted) && shipments[wanted].value("partner", partner_of(req)) == partner_of(req)) {
    const auto& s = shipments[wanted]["shipment"];
    const auto carrier = s.value("transportationDetails", json::object()).value("carrierDetails", json::object());
    if (carrier.contains("code")) {  // labels exist once a carrier is assigned
      const std::string tracking = carrier.value("shipmentReferenceNumber", std::string("PRO")) + "-1";
      const std::string text = "Amazon transport label " + wanted + " " + carrier.value("code", std::string()) + " " + tracking;
      list.push_back({{"labelCreateDateTime", iso(now_ms())},
                      {"shipmentInformation",
                       {{"vendorDetails", {{"sellingParty", s.value("sellingParty", json::object())}}},
                        {"buyerReferenceNumber", s.value("buyerReferenceNumber", std::string())},
                        {"shipToParty", s.value("shipToParty", json::object())},
                        {"shipFromParty", s.value("shipFromParty", json::object())},
                        {"totalLabelCount", 1},
                        {"shipMode", "LTL"}}},
                      {"labelData",
                       json::array({{{"labelSequenceNumber", 1},
                                     {"labelFormat", "PDF"},
                                     {"carrierCode", carrier.value("code", std::string())},
                                     {"trackingId", tracking},
                                     {"label", base64(label_pdf(text))}}})}});
      count("labels_served", wanted);
    }
  }
  res.set_content(json{{"payload", {{"transportLabels", list}}}}.dump(), "application/json");
  log(req, 200);
}

void Simulator::confirmations(const httplib::Request& req, httplib::Response& res) {
  auto parsed = valid_body(req, res, validate_confirmations);
  if (!parsed) return;
  json body = std::move(*parsed);
  const std::string partner = partner_of(req);
  const std::string id = new_transaction_id();
  json failures = json::array(), ids = json::array();
  for (const auto& c : body["shipmentConfirmations"]) {
    const std::string vsid = c["shipmentIdentifier"].is_string() ? c["shipmentIdentifier"].get<std::string>() : "";
    ids.push_back(vsid);
    data_["asns"][vsid] = data_["asns"].value(vsid, 0) + 1;
    data_["asn_bodies"][vsid] = c;
    auto& shipments = data_["shipments"];
    const bool known = shipments.contains(vsid) && shipments[vsid].value("partner", partner) == partner &&
                       shipments[vsid]["shipment"].value("currentShipmentStatus", std::string()) != "Rejected";
    if (!known) {
      failures.push_back({{"code", "InvalidShipment"},
                          {"message", "No shipment " + vsid + " was submitted by this vendor"},
                          {"details", "shipmentIdentifier " + vsid}});
      continue;
    }
    // Amazon has the ASN: it lists the shipment as Shipped from now on.
    auto& s = shipments[vsid]["shipment"];
    s["currentShipmentStatus"] = "Shipped";
    s["currentshipmentStatusDate"] = iso(now_ms());
    if (c.contains("shippedDate")) s["shippedDate"] = c["shippedDate"];
    const auto transport = c.value("transportationDetails", json::object());
    if (transport.contains("billOfLadingNumber")) s["transportationDetails"]["billOfLadingNumber"] = transport["billOfLadingNumber"];
  }
  data_["transactions"][id] = {{"status", "Processing"}, {"polls", 0}, {"shipments", json::array()},
                               {"confirmations", ids}, {"pending_errors", failures}, {"partner", partner}};
  save();
  res.status = 202;
  res.set_content(json{{"payload", {{"transactionId", id}}}}.dump(), "application/json");
  log(req, 202);
}

}  // namespace dockhand::sim
