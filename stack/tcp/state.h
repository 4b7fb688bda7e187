// The eleven TCP states (RFC 9293 §3.3.2), named as Linux's `ss` prints them.
#pragma once

#include <cstdint>
#include <string_view>

namespace taptcp::tcp {

enum class State : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};

// "ESTAB", "SYN-SENT", "TIME-WAIT"...: the State column of `ss -tan`.
constexpr std::string_view StateName(State s) {
  switch (s) {
    case State::kClosed:
      return "CLOSE";
    case State::kListen:
      return "LISTEN";
    case State::kSynSent:
      return "SYN-SENT";
    case State::kSynReceived:
      return "SYN-RECV";
    case State::kEstablished:
      return "ESTAB";
    case State::kFinWait1:
      return "FIN-WAIT-1";
    case State::kFinWait2:
      return "FIN-WAIT-2";
    case State::kCloseWait:
      return "CLOSE-WAIT";
    case State::kClosing:
      return "CLOSING";
    case State::kLastAck:
      return "LAST-ACK";
    case State::kTimeWait:
      return "TIME-WAIT";
  }
  return "UNKNOWN";
}

// RFC 9293 §3.3.2: the states in which both sides' ISNs are known.
constexpr bool IsSynchronized(State s) {
  return s != State::kClosed && s != State::kListen && s != State::kSynSent &&
         s != State::kSynReceived;
}

}  // namespace taptcp::tcp
