// json_members.hpp: a JSON object's text with more members, for replies and
// events that are a row's JSON (built by SQL) plus a field or two the
// handler knows: {"id":..., ...} + {"changed": [...]}.
#pragma once

#include <crm/plugin.hpp>

#include <string>
#include <string_view>

namespace crm {

// `object` (a JSON object's text) with the members of `more` added at its end.
inline std::string with_members(std::string_view object, const JsonObject& more) {
  const std::string extra = more.str(); // "{...}"
  std::string out(object.substr(0, object.rfind('}')));
  if (extra.size() > 2) {
    const size_t last = out.find_last_not_of(" \t\r\n");
    if (last != std::string::npos && out[last] != '{') out.push_back(',');
    out.append(extra, 1, extra.size() - 2);
  }
  return out + "}";
}

} // namespace crm
