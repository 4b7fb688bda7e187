// Counters under their Linux names, so `taptcp nstat` reads like `nstat -az`.
//
// Each counter belongs to a Linux MIB table (/proc/net/snmp: Ip, Icmp, Tcp; /proc/net/netstat:
// IpExt, TcpExt). nstat prints the table and the name joined (IpInHdrErrors,
// TcpExtListenOverflows); Name() returns exactly that. Counters Linux does not have (ARP details,
// our drop reasons) live in a "Taptcp" table so they can never be mistaken for a kernel counter.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stack/wire/drop_reason.h"

namespace taptcp {

// X(table, name): one line per counter, in the order nstat prints them.
// clang-format off
#define TAPTCP_MIB_COUNTERS(X)                                                          \
  X(Ip, InReceives)                                                                     \
  X(Ip, InHdrErrors)                                                                    \
  X(Ip, InAddrErrors)                                                                   \
  X(Ip, InUnknownProtos)                                                                \
  X(Ip, InDiscards)                                                                     \
  X(Ip, InDelivers)                                                                     \
  X(Ip, OutRequests)                                                                    \
  X(Ip, OutDiscards)                                                                    \
  X(Ip, OutNoRoutes)                                                                    \
  X(Ip, ReasmReqds)                                                                     \
  X(Ip, ReasmFails)                                                                     \
  X(Icmp, InMsgs)                                                                       \
  X(Icmp, InErrors)                                                                     \
  X(Icmp, InCsumErrors)                                                                 \
  X(Icmp, InDestUnreachs)                                                               \
  X(Icmp, InEchos)                                                                      \
  X(Icmp, InEchoReps)                                                                   \
  X(Icmp, OutMsgs)                                                                      \
  X(Icmp, OutErrors)                                                                    \
  X(Icmp, OutEchos)                                                                     \
  X(Icmp, OutEchoReps)                                                                  \
  X(Tcp, ActiveOpens)                                                                   \
  X(Tcp, PassiveOpens)                                                                  \
  X(Tcp, AttemptFails)                                                                  \
  X(Tcp, EstabResets)                                                                   \
  X(Tcp, CurrEstab)                                                                     \
  X(Tcp, InSegs)                                                                        \
  X(Tcp, OutSegs)                                                                       \
  X(Tcp, RetransSegs)                                                                   \
  X(Tcp, InErrs)                                                                        \
  X(Tcp, OutRsts)                                                                       \
  X(Tcp, InCsumErrors)                                                                  \
  X(IpExt, InTruncatedPkts)                                                             \
  X(IpExt, InCsumErrors)                                                                \
  X(TcpExt, SyncookiesSent)                                                             \
  X(TcpExt, SyncookiesRecv)                                                             \
  X(TcpExt, SyncookiesFailed)                                                           \
  X(TcpExt, EmbryonicRsts)                                                              \
  X(TcpExt, TW)                                                                         \
  X(TcpExt, TWRecycled)                                                                 \
  X(TcpExt, ListenOverflows)                                                            \
  X(TcpExt, ListenDrops)                                                                \
  X(TcpExt, TCPTimeouts)                                                                \
  X(TcpExt, TCPKeepAlive)                                                               \
  X(TcpExt, TCPAbortOnData)                                                             \
  X(TcpExt, TCPAbortOnClose)                                                            \
  X(TcpExt, TCPAbortOnMemory)                                                           \
  X(TcpExt, TCPAbortOnTimeout)                                                          \
  X(TcpExt, TCPAbortOnLinger)                                                           \
  X(TcpExt, TCPSYNChallenge)                                                            \
  X(TcpExt, TCPChallengeACK)                                                            \
  X(TcpExt, TCPACKSkippedSeq)                                                           \
  X(TcpExt, TCPACKSkippedChallenge)                                                     \
  X(TcpExt, TCPACKSkippedTimeWait)                                                      \
  X(TcpExt, PAWSTimewait)                                                               \
  X(TcpExt, PAWSEstab)                                                                  \
  X(TcpExt, TCPSynRetrans)                                                              \
  X(TcpExt, TCPACKSkippedSynRecv)                                                       \
  X(TcpExt, TCPReqQFullDoCookies)                                                       \
  X(TcpExt, TCPReqQFullDrop)                                                            \
  X(TcpExt, TCPTimeWaitOverflow)                                                        \
  X(TcpExt, TCPFastOpenActive)                                                          \
  X(TcpExt, TCPFastOpenActiveFail)                                                      \
  X(TcpExt, TCPFastOpenPassive)                                                         \
  X(TcpExt, TCPFastOpenPassiveFail)                                                     \
  X(TcpExt, TCPFastOpenListenOverflow)                                                  \
  X(TcpExt, TCPFastOpenCookieReqd)                                                      \
  X(TcpExt, TCPFastOpenPassiveAltKey)                                                   \
  X(Taptcp, EthInFrames)                                                                \
  X(Taptcp, EthOutFrames)                                                               \
  X(Taptcp, EthInDrops)                                                                 \
  X(Taptcp, ArpInRequests)                                                              \
  X(Taptcp, ArpInReplies)                                                               \
  X(Taptcp, ArpOutRequests)                                                             \
  X(Taptcp, ArpOutReplies)                                                              \
  X(Taptcp, ArpResolveFailed)                                                           \
  X(Taptcp, ArpUnresolvedDiscards)                                                      \
  X(Taptcp, ArpTableFull)
// clang-format on

enum class Counter : uint16_t {
#define TAPTCP_MIB_ENUM(table, name) k##table##name,
  TAPTCP_MIB_COUNTERS(TAPTCP_MIB_ENUM)
#undef TAPTCP_MIB_ENUM
      kCount
};

constexpr size_t kCounterCount = static_cast<size_t>(Counter::kCount);

class Mib {
 public:
  void Inc(Counter c, uint64_t n = 1) { values_[static_cast<size_t>(c)] += n; }
  // Gauges (Tcp CurrEstab) go down too.
  void Dec(Counter c, uint64_t n = 1) { values_[static_cast<size_t>(c)] -= n; }
  uint64_t Get(Counter c) const { return values_[static_cast<size_t>(c)]; }

  // Every dropped inbound frame is counted once under its reason (DESIGN.md, "Errors").
  void CountDrop(wire::DropReason reason) { drops_[static_cast<size_t>(reason)]++; }
  uint64_t Drops(wire::DropReason reason) const { return drops_[static_cast<size_t>(reason)]; }
  uint64_t TotalDrops() const;

  // "IpInHdrErrors", "TcpExtListenOverflows": the name nstat prints.
  static std::string Name(Counter c);
  static std::string_view Table(Counter c);
  // Parses an nstat-style name back to a counter ("TcpExtListenOverflows"); false if unknown.
  static bool FromName(std::string_view name, Counter* out);

  // nstat -az style text: one "Name value" line per counter; drop reasons as TaptcpDrop_<reason>.
  // With zeros=false, zero counters are left out (like nstat without -z).
  std::string Format(bool zeros) const;
  // Every counter and drop reason with its nstat name, in nstat's order, zeros included.
  std::vector<std::pair<std::string, uint64_t>> Rows() const;

 private:
  std::array<uint64_t, kCounterCount> values_{};
  std::array<uint64_t, wire::kDropReasonCount> drops_{};
};

}  // namespace taptcp
