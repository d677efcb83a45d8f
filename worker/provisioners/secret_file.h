// Credentials of the `postgres` provisioner as files: <dir>/<secret_name>.json, mode 0600, in a
// directory only the worker's user may enter (0700).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace daap::worker::provisioners {

// Creates `dir` (mode 0700, parents as needed) if it is missing. Throws ProvisionError.
void create_secrets_dir(const std::filesystem::path& dir);

// At start-up: creates `dir` as above, and logs a warning if it exists with group or other
// access (every tenant's password is in it). Never throws: provisioning reports what fails.
void check_secrets_dir(const std::filesystem::path& dir);

// <dir>/<secret_name>.json
std::filesystem::path secret_path(const std::filesystem::path& dir, const std::string& secret_name);

// The password of an existing secret for `user`, if there is a usable one.
std::optional<std::string> read_secret_password(const std::filesystem::path& path,
                                                const std::string& user);

// Writes `content` as the secret at `path`: a temporary file (0600) in the same directory,
// fsynced, renamed over `path`, the directory fsynced. Throws ProvisionError.
void write_secret(const std::filesystem::path& path, const std::string& content);

// Removes the secret at `path`; a missing one is fine. Throws ProvisionError.
void remove_secret(const std::filesystem::path& path);

}  // namespace daap::worker::provisioners
