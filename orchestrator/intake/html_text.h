// HTML body -> plain lines the extractor reads. Table rows become one line with cells separated by tabs
// (so an HTML table reads like a tab-separated text table); blocks become lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dockhand::intake {

// Renders html through gumbo. Hostile input (nesting deeper than max_depth, or over max_bytes) is read by a
// flat tag stripper instead, with a warning, so an HTML bomb costs linear time and no deep recursion.
std::string html_to_text(std::string_view html, std::size_t max_depth, std::size_t max_bytes,
                         std::vector<std::string>& warnings);

}  // namespace dockhand::intake
