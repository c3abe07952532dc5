// cli/settoken_command.cpp — `quotaguard settoken TOKEN`: store the Telegram bot token in the
// database's settings table (same effect as /settoken). `-` reads the token from stdin, which
// keeps it out of shell history and `ps`. A running daemon picks it up without a restart (the
// bot re-reads the stored token on every poll, at most ~30 s later). The token is never
// printed; a malformed one is a usage error (exit 2) naming only the expected shape.
#include "telegram/bot_settings.hpp"
#include "cli/command_registry.hpp"
#include "cli/config_options.hpp"
#include "config/redaction.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

void settoken(const qg::LoadOptions& options, std::string token) {
  if (token == "-") std::getline(std::cin, token);
  token = trim(token);
  qg::register_secret(token);
  if (!qg::telegram::looks_like_bot_token(token)) {
    std::fprintf(stderr, "settoken: TOKEN does not look like a Telegram bot token "
                         "(<digits>:<30-64 letters, digits, _ or ->, as @BotFather gives it)\n");
    qg::cli::exit_with(2);
  }
  const qg::LoadResult loaded = qg::cli::load_config_or_exit(options);
  const qg::StorageConfig& storage = loaded.config.storage;
  try {
    qg::telegram::store_bot_token(*qg::telegram::open_bot_store(storage), token, loaded.config.telegram.token);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "settoken: %s\n", qg::redact(e.what()).c_str());
    qg::cli::exit_with(2);
  }
  std::printf("telegram bot token stored in %s; a running daemon switches to it within 30 s\n",
              qg::telegram::bot_store_location(storage).c_str());
  if (!std::getenv("QUOTAGUARD_TELEGRAM_TOKEN")) return;
  std::printf("note: QUOTAGUARD_TELEGRAM_TOKEN is set and takes precedence over the stored token\n");
}

}  // namespace

void add_settoken_command(CLI::App& root) {
  auto options = std::make_shared<qg::LoadOptions>();
  auto token = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand("settoken", "store the Telegram bot token in the database (same as /settoken)");
  cmd->add_option("TOKEN", *token, "bot token from @BotFather, or - to read it from stdin")->required();
  qg::cli::add_config_flag(*cmd, *options);
  qg::cli::add_db_flag(*cmd, *options);
  cmd->callback([options, token] { settoken(*options, *token); });
}
QG_REGISTER_COMMAND(add_settoken_command);
