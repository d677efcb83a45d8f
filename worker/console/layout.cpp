#include "worker/console/layout.h"

#include "worker/console/html.h"

namespace daap::worker::console {

std::string page(std::string_view title, const std::string& body, const PageContext& ctx) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      escape(title) +
      " · DAAP console</title>"
      // An empty icon: without one, browsers ask for /favicon.ico and log its 404.
      "<link rel=\"icon\" href=\"data:,\">"
      "<link rel=\"stylesheet\" href=\"/static/console.css\"></head><body>\n";
  {
    out +=
        "<nav><span class=\"brand\">DAAP console</span>"
        "<a href=\"/\">Overview</a><a href=\"/jobs\">Jobs</a>"
        "<a href=\"/databases\">Databases</a><a href=\"/periodic\">Periodic</a>";
    if (ctx.read_only) out += "<span class=\"read-only\">read-only</span>";
    out += "</nav>\n";
  }
  out += "<main>\n";
  if (ctx.flash) out += "<p id=\"flash\">" + escape(*ctx.flash) + "</p>\n";
  out += "<h1>" + escape(title) + "</h1>\n" + body + "</main></body></html>\n";
  return out;
}

std::string action_form(const PageContext& ctx, std::string_view url, std::string_view action,
                        std::string_view label, std::string_view back, const std::string& fields) {
  if (ctx.read_only) return "";
  return "<form method=\"post\" class=\"action\" action=\"" + escape(url) + "\" data-action=\"" +
         escape(action) + "\">" + hidden_input("csrf", ctx.csrf) + hidden_input("back", back) +
         fields + "<button type=\"submit\">" + escape(label) + "</button></form>";
}

std::string cell(std::string_view col, std::string_view text) {
  return "<td data-col=\"" + escape(col) + "\">" + escape(text) + "</td>";
}

std::string login_page(const std::optional<std::string>& error) {
  std::string body;
  if (error) body += "<p id=\"error\">" + escape(*error) + "</p>\n";
  body +=
      "<form id=\"login\" method=\"post\" action=\"/login\">"
      "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" "
      "autofocus></label> <button type=\"submit\">Log in</button></form>\n"
      "<p class=\"hint\">The token is the console's CONSOLE_TOKEN.</p>\n";
  return page("Log in", body, PageContext{});
}

std::string message_page(std::string_view title, std::string_view message, const PageContext& ctx) {
  return page(title, "<p id=\"message\">" + escape(message) + "</p>\n", ctx);
}

}  // namespace daap::worker::console
