// The frame every console page shares: head (the stylesheet from /static/), nav, flash line;
// and the action forms, which carry the CSRF token and are left out in read-only mode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace daap::worker::console {

// What a page needs to know about the request that renders it.
struct PageContext {
  std::string csrf;  // the session's CSRF token
  bool read_only = false;
  std::optional<std::string> flash;  // shown once in #flash
};

// A whole HTML document around `body` (already HTML).
std::string page(std::string_view title, const std::string& body, const PageContext& ctx);

// A POST form (`form[data-action=ACTION]`) with the CSRF token, `back` (where to return) and
// `fields` (HTML), and one button labelled `label`; "" in read-only mode.
std::string action_form(const PageContext& ctx, std::string_view url, std::string_view action,
                        std::string_view label, std::string_view back,
                        const std::string& fields = "");

// A cell <td data-col="NAME">text</td>, the text escaped.
std::string cell(std::string_view col, std::string_view text);

// The login form (`form#login`), with `#error` when `error` is set.
std::string login_page(const std::optional<std::string>& error);

// A page saying what went wrong and what to do (the text is escaped).
std::string message_page(std::string_view title, std::string_view message, const PageContext& ctx);

}  // namespace daap::worker::console
