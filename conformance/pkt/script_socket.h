// The sockets a script talks about, as packetdrill tracks them (socket.h, run_system_call.c):
// the script's fd and the live one, where the socket is in its life (so the runner knows whether
// an inbound SYN makes a new child or an outbound SYN comes from connect()), its live 4-tuple
// and its sequence mapping. One socket is "under test" at a time: packets without ports go to it.
// A packet with ports (`< 1001>8080 S ...`, taptcp's extension for several connections at once)
// goes to the socket with that 4-tuple instead (README.md "Several connections").
#pragma once

#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "conformance/pkt/packet.h"
#include "conformance/pkt/seq_map.h"
#include "stack/wire/addresses.h"
#include "timers/time.h"

namespace taptcp::pkt {

enum class SockState : uint8_t {
  kInit,                   // a child not yet seen on the wire
  kNew,                    // after socket()
  kListening,              // after listen()
  kPassivePacketReceived,  // a child: the peer's first packet went in
  kPassiveSynAckSent,      // the stack's SYN-ACK came out
  kPassiveSynAckAcked,     // the peer acknowledged it
  kActiveConnecting,       // after connect() or sendto()
  kActiveSynSent,          // the stack's SYN came out
  kActiveSynAcked,         // the peer's SYN-ACK went in
};

struct Endpoint {
  wire::Ipv4Address ip;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct ScriptSocket {
  int script_fd = -1;
  int live_fd = -1;
  bool closed = false;
  bool nonblocking = false;  // O_NONBLOCK
  SockState state = SockState::kInit;
  Endpoint local, remote;  // live: the stack's end and the peer's
  SeqMap seq;
  // What the stack sent this socket while the script waited for another one's packet, oldest
  // first: its own `>` lines read these before anything newer.
  std::deque<std::pair<Instant, TcpPacket>> unread;
};

struct Sockets {
  std::vector<std::unique_ptr<ScriptSocket>> all;
  ScriptSocket* under_test = nullptr;

  ScriptSocket* Add() {
    all.push_back(std::make_unique<ScriptSocket>());
    return all.back().get();
  }
  // The open socket with this script fd.
  ScriptSocket* ByScriptFd(int fd) {
    for (auto& s : all) {
      if (!s->closed && s->script_fd == fd && fd >= 0) return s.get();
    }
    return nullptr;
  }
  // The newest socket with this live 4-tuple.
  ScriptSocket* ByTuple(const Endpoint& local, const Endpoint& remote) {
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if ((*it)->local == local && (*it)->remote == remote) return it->get();
    }
    return nullptr;
  }
};

}  // namespace taptcp::pkt
