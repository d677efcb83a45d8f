// HTML and URL text for the console's pages: every value from the database goes through
// escape() (element text and attribute values alike), every query parameter through
// url_encode().
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daap::worker::console {

// Text safe in element content and in double- or single-quoted attribute values.
std::string escape(std::string_view text);

// Percent-encodes everything but unreserved characters (RFC 3986), for query values and paths.
std::string url_encode(std::string_view text);
// Decodes %XX and '+' (form encoding); malformed escapes are kept as they are.
std::string url_decode(std::string_view text);

// An application/x-www-form-urlencoded body as name -> value (a repeated name: the first).
std::map<std::string, std::string> parse_form(std::string_view body);

// "?a=1&b=2" from the pairs with a non-empty value ("" when none).
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);

// <input type="hidden" name=... value=...>
std::string hidden_input(std::string_view name, std::string_view value);

}  // namespace daap::worker::console
