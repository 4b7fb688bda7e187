// A request entry, the "mini socket" of a passive open (Linux struct tcp_request_sock): what a
// listener remembers between a SYN and the handshake's final ACK, and nothing more. A full
// Connection (buffers, congestion state, five timers) is only built from the final ACK, so a flood
// of SYNs costs one of these each, bounded by the SYN queue (LINUX_TCP.md "Listen queues").
//
// Size is the point: sizeof is 88 bytes (checked below), one 96-byte heap chunk, plus a pointer
// slot in the listener's hash set. `tcp_bench` reports the measured bytes per entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "stack/tcp/connection.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/tuple.h"
#include "timers/wheel.h"

namespace taptcp::tcp {

struct RequestSock {
  // First, so the listener's timer handler gets the entry back from the Timer it is given
  // (pointer-interconvertible: RequestSock is standard-layout and `timer` its first member). This
  // saves the vtable and the back pointer a TimerHandler per entry would cost.
  timers::Timer timer;  // SYN-ACK retransmission, then silent expiry (reqsk_timer_handler)
  FourTuple tuple;
  Seq iss;                      // snt_isn: our SYN-ACK's sequence number
  Seq irs;                      // rcv_isn: the peer's SYN
  uint32_t ts_recent = 0;       // the peer's latest in-window TSval
  uint32_t ts_offset = 0;       // ts_off: added to our clock in every TSval we send
  uint32_t last_oow_ack = 0;    // Jiffies32 of the last rate-limited answer; 0 = never
  uint32_t synack_sent_us = 0;  // snt_synack, low 32 bits of µs (a request lives ~63 s)
  uint16_t synack_window = 0;   // rsk_rcv_wnd: the window our SYN-ACK offered
  Negotiated neg;
  uint8_t num_timeout = 0;  // timer expiries so far (0 = "young")
  uint8_t num_retrans = 0;  // SYN-ACKs re-sent, by timer or for a duplicate SYN

  static RequestSock& FromTimer(timers::Timer& t) { return *reinterpret_cast<RequestSock*>(&t); }
};

static_assert(std::is_standard_layout_v<RequestSock>);
static_assert(offsetof(RequestSock, timer) == 0);
static_assert(sizeof(RequestSock) <= 88, "a request entry fits one 96-byte malloc chunk");

}  // namespace taptcp::tcp
