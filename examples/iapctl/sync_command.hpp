// SPDX-License-Identifier: MIT
//
// `iapctl sync`: one sync of a ledger with the IAP server (sync_command.cpp, built with
// -Dsync=enabled).
#ifndef IAPCTL_SYNC_COMMAND_HPP
#define IAPCTL_SYNC_COMMAND_HPP

#include "cli.hpp"

#include <string>
#include <vector>

namespace iapctl {

outcome run_sync(const std::vector<std::string>& args);

} // namespace iapctl

#endif // IAPCTL_SYNC_COMMAND_HPP
