// taptcp's subcommands. Each returns the process exit code; errors are printed as one line
// "taptcp <cmd>: <what is wrong and what to do>".
#pragma once

#include <string>
#include <vector>

namespace taptcp::apps {

int RunServe(const std::vector<std::string>& sysctls);
int RunConnect(const std::vector<std::string>& sysctls);
int RunDemo(const std::vector<std::string>& sysctls);
int RunSysctl(const std::vector<std::string>& args);
int RunSs();
int RunNstat();
int RunPkt(const std::vector<std::string>& scripts, const std::vector<std::string>& sysctls);
int RunReplay(const std::vector<std::string>& args, const std::vector<std::string>& sysctls);
int RunSynflood();

}  // namespace taptcp::apps
