#include "accounts.h"

#include <algorithm>
#include <cctype>

namespace dockhand::chain {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool domain_matches(const std::string& domain, const std::string& rule) {
  if (domain == rule) return true;
  return domain.size() > rule.size() && domain.compare(domain.size() - rule.size(), rule.size(), rule) == 0 &&
         domain[domain.size() - rule.size() - 1] == '.';
}

std::string names(const std::vector<const AccountRule*>& accounts) {
  std::string out;
  for (const auto* a : accounts) out += (out.empty() ? "" : ", ") + a->brand;
  return out;
}

std::string vendor_codes_of(const std::vector<AccountRule>& accounts) {
  std::string out;
  for (const auto& a : accounts) {
    std::string codes;
    for (const auto& c : a.vendor_codes) codes += (codes.empty() ? "" : " ") + c;
    out += (out.empty() ? "" : "; ") + a.brand + ": " + (codes.empty() ? "none" : codes);
  }
  return out;
}

}  // namespace

BindingDecision decide_account(const std::vector<AccountRule>& accounts, const std::optional<std::string>& vendor_code,
                               const std::string& sender_domain) {
  BindingDecision d;
  if (accounts.empty()) {
    d.problem = "no Amazon account is configured";
    return d;
  }
  if (accounts.size() == 1 && accounts[0].vendor_codes.empty() && accounts[0].sender_domains.empty()) {
    d.brand = accounts[0].brand;
    d.how = "the only account";
    return d;
  }
  const std::string code = upper(trim(vendor_code.value_or("")));
  std::vector<const AccountRule*> matches;
  if (!code.empty()) {
    for (const auto& a : accounts)
      if (std::find(a.vendor_codes.begin(), a.vendor_codes.end(), code) != a.vendor_codes.end()) matches.push_back(&a);
    if (matches.size() == 1) {
      d.brand = matches[0]->brand;
      d.how = "vendor code " + code;
    } else if (matches.empty()) {
      // A vendor code nobody holds is not guessed around (the sender's domain is not asked): it may be a
      // brand not onboarded yet, or a typo; either way a human decides.
      d.problem = "the email names vendor code " + code + ", which no account holds (" + vendor_codes_of(accounts) + ")";
    } else {
      d.problem = "vendor code " + code + " belongs to several accounts: " + names(matches);
    }
    return d;
  }
  const std::string domain = lower(trim(sender_domain));
  if (!domain.empty())
    for (const auto& a : accounts)
      for (const auto& rule : a.sender_domains)
        if (domain_matches(domain, lower(rule))) {
          matches.push_back(&a);
          break;
        }
  if (matches.size() == 1) {
    d.brand = matches[0]->brand;
    d.how = "sender domain " + domain;
  } else if (matches.empty()) {
    d.problem = "the email names no vendor code and its sender domain " + (domain.empty() ? "(none)" : domain) +
                " matches no account's sender_domains";
  } else {
    d.problem = "the email names no vendor code and its sender domain " + domain + " matches several accounts: " +
                names(matches);
  }
  return d;
}

std::string sender_domain(const std::string& raw_message) {
  // The header block, unfolded; the first From header.
  std::string from;
  bool in_from = false;
  std::size_t pos = 0;
  while (pos < raw_message.size()) {
    auto end = raw_message.find('\n', pos);
    if (end == std::string::npos) end = raw_message.size();
    std::string line = raw_message.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (in_from) from += " " + trim(line);
      continue;
    }
    if (!from.empty()) break;
    in_from = lower(line.substr(0, 5)) == "from:";
    if (in_from) from = line.substr(5);
  }
  // The address: inside <...> when there is one, else the first token with an @.
  std::string address;
  const auto open = from.find('<');
  const auto close = open == std::string::npos ? std::string::npos : from.find('>', open);
  if (close != std::string::npos) {
    address = from.substr(open + 1, close - open - 1);
  } else {
    for (std::size_t i = 0, j; i < from.size(); i = j + 1) {
      j = from.find_first_of(" \t,;", i);
      if (j == std::string::npos) j = from.size();
      auto token = from.substr(i, j - i);
      if (token.find('@') != std::string::npos) {
        address = token;
        break;
      }
    }
  }
  const auto at = address.rfind('@');
  if (at == std::string::npos) return "";
  std::string domain = lower(trim(address.substr(at + 1)));
  while (!domain.empty() && (domain.back() == '.' || domain.back() == '"')) domain.pop_back();
  for (unsigned char c : domain)
    if (!(std::isalnum(c) || c == '.' || c == '-')) return "";
  return domain;
}

}  // namespace dockhand::chain
