// libFuzzer (and AFL++) target for the TCP stack: one taptcp host with an echo listener (port 7),
// a discard listener (port 9), nothing on port 22, and an active open of its own (the client
// socket, to the peer's port 80), fed ops decoded from the input: segments from the peer, socket
// calls by the host's apps, time steps and raw frames. The format is in tcp_stack_input.h: 16-byte
// records whose sequence and acknowledgment numbers may be relative to what the host last said on
// that 4-tuple, so mutated inputs stay inside the live window and reach established, closing,
// recovery and TIME_WAIT states instead of bouncing off the sequence check.
//
// After every op the target checks invariants and aborts on a violation, so semantic bugs show,
// not only crashes (ASan and UBSan catch those):
//  per connection   SND.UNA <= SND.NXT <= SND.MAX; the send queue holds exactly what the app
//                   wrote minus what the peer acknowledged, and at least what is in flight;
//                   RCV.NXT only moves forward, and moved by exactly the bytes received (plus the
//                   FIN); what the app read plus what is readable is what was received; the
//                   receive queue fits the buffer and the window offered never reaches past it;
//                   data read (and data echoed back) is byte for byte what the peer sent;
//                   TIME_WAIT and orphaned FIN_WAIT2 hold their timer, data in flight holds the
//                   retransmission timer, unsent data with nothing in flight the persist timer;
//  per stack        the connection table, each listener's accept queue and requests stay within
//                   the 4-tuples in play and the backlog; TcpCurrEstab counts ESTABLISHED and
//                   CLOSE_WAIT; InSegs grows by one per segment injected and by at least the
//                   segments connections accepted; InCsumErrors only for broken checksums;
//                   OutSegs, OutRsts and RetransSegs agree with the wire; no segment is dropped
//                   for exceeding the MTU; armed timers are within what live objects can hold;
//  per frame out    it parses with valid checksums, fits the MTU, comes from the host's
//                   addresses, carries no more than the peer's MSS, and only a live connection or
//                   a listener's request sends anything but a RST.
// At the end, hours of silence pass with the sockets open, then with everything closed: every
// connection must be gone and no timer but ARP's left armed.
//
// Reproducing: `tests/fuzz/repro.sh tcp_stack_fuzz CRASH [OUT.pcap]` runs one input with
// TAPTCP_FUZZ_PCAP=OUT.pcap (both directions, readable by tshark) and TAPTCP_FUZZ_VERBOSE=1 (each
// op and the stack's trace on stderr). Known stack bugs are masked unless TAPTCP_FUZZ_KNOWN_BUGS=1
// (tcp_stack_harness.h lists them).
//
// Files: this one (entry points, custom mutator), tcp_stack_input.{h,cc} (the input format),
// tcp_stack_harness.{h,cc} (the host, its apps, the peer), tcp_stack_invariants.cc (the checks).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "stack/wire/tcp.h"
#include "tests/fuzz/tcp_stack_harness.h"
#include "tests/fuzz/tcp_stack_input.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

// A structure-aware mutator (libFuzzer only; AFL++ mutates bytes): byte-level insertions shift
// every later record and turn the rest of the input into noise, so half the time the input is
// mutated as ops: one record's fields, or whole records duplicated, removed, swapped, or a
// well-aimed segment (seq at the host's ACK, ack at its highest sequence number) inserted. The
// crossover splices at record boundaries. Compiled out with -DTAPTCP_FUZZ_PLAIN_MUTATOR (how its
// benefit was measured, see README.md).
#ifndef TAPTCP_FUZZ_PLAIN_MUTATOR
namespace taptcp::fuzz {
namespace {

// Op boundaries, plus the end of the input.
std::vector<size_t> Bounds(const uint8_t* data, size_t size) {
  std::vector<size_t> b = OpOffsets({data, size});
  b.push_back(size);
  return b;
}

size_t MutateOps(uint8_t* data, size_t size, size_t max_size, std::minstd_rand& rng) {
  const std::vector<size_t> b = Bounds(data, size);
  const size_t ops = b.size() - 1;
  std::vector<uint8_t> in(data, data + size), out;
  auto op_bytes = [&](size_t i) {
    return std::vector<uint8_t>(in.begin() + static_cast<ptrdiff_t>(b[i]),
                                in.begin() + static_cast<ptrdiff_t>(b[i + 1]));
  };
  switch (rng() % 5) {
    case 0: {  // one field of one record
      if (ops == 0) return 0;
      const size_t at = b[rng() % ops];
      uint8_t rec[kRecordSize];
      std::memcpy(rec, data + at, sizeof rec);
      if (LLVMFuzzerMutate(rec, sizeof rec, sizeof rec) != sizeof rec) return 0;
      std::memcpy(data + at, rec, sizeof rec);
      return size;
    }
    case 1: {  // duplicate an op (a repeated segment: duplicate data, dupACKs, storms)
      if (ops == 0) return 0;
      const size_t i = rng() % ops, j = rng() % (ops + 1);
      const std::vector<uint8_t> dup = op_bytes(i);
      out = in;
      out.insert(out.begin() + static_cast<ptrdiff_t>(b[j]), dup.begin(), dup.end());
      break;
    }
    case 2: {  // remove an op
      if (ops == 0) return 0;
      const size_t i = rng() % ops;
      out = in;
      out.erase(out.begin() + static_cast<ptrdiff_t>(b[i]),
                out.begin() + static_cast<ptrdiff_t>(b[i + 1]));
      break;
    }
    case 3: {  // swap two adjacent ops (reordering)
      if (ops < 2) return 0;
      const size_t i = rng() % (ops - 1);
      out.assign(in.begin(), in.begin() + static_cast<ptrdiff_t>(b[i]));
      const std::vector<uint8_t> x = op_bytes(i), y = op_bytes(i + 1);
      out.insert(out.end(), y.begin(), y.end());
      out.insert(out.end(), x.begin(), x.end());
      out.insert(out.end(), in.begin() + static_cast<ptrdiff_t>(b[i + 2]), in.end());
      break;
    }
    default: {  // insert an in-window segment
      Op op;
      op.kind = OpKind::kSegment;
      op.target = static_cast<uint8_t>(rng() % kTargets);
      op.seq_base = rng() % 2 ? SeqBase::kHostAck : SeqBase::kPeerNext;
      op.ack_base = rng() % 4 ? AckBase::kHostMax : AckBase::kPeerLast;
      static constexpr uint8_t kFlags[] = {
          wire::kAck, wire::kAck | wire::kPsh, wire::kAck | wire::kFin, wire::kRst,
          wire::kSyn, wire::kAck | wire::kRst};
      op.flags = kFlags[rng() % std::size(kFlags)];
      op.window = static_cast<uint16_t>(rng() % 3 == 0 ? 0 : 65535);
      op.len = static_cast<uint16_t>(rng() % 2 ? 0 : rng() % 1449);
      op.options = static_cast<uint8_t>(rng() % 2 ? kOptTimestamp : 0);
      op.delay = static_cast<uint8_t>(rng() % 50);
      const size_t j = rng() % (ops + 1);
      std::vector<uint8_t> rec;
      AppendOp(op, &rec);
      out = in;
      out.insert(out.begin() + static_cast<ptrdiff_t>(b[j]), rec.begin(), rec.end());
      break;
    }
  }
  if (out.size() > max_size) return 0;
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace
}  // namespace taptcp::fuzz

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::minstd_rand rng(seed);
  if (rng() % 2 == 0) {
    if (const size_t n = taptcp::fuzz::MutateOps(data, size, max_size, rng); n > 0) return n;
  }
  return LLVMFuzzerMutate(data, size, max_size);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2, uint8_t* out,
                                            size_t max_out_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  const std::vector<size_t> b1 = taptcp::fuzz::Bounds(data1, size1),
                            b2 = taptcp::fuzz::Bounds(data2, size2);
  const size_t cut1 = b1[rng() % b1.size()], cut2 = b2[rng() % b2.size()];
  const size_t n = std::min(max_out_size, cut1 + (size2 - cut2));
  std::memcpy(out, data1, std::min(cut1, n));
  if (n > cut1) std::memcpy(out + cut1, data2 + cut2, n - cut1);
  return n;
}
#endif  // TAPTCP_FUZZ_PLAIN_MUTATOR

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace taptcp::fuzz;
  g_pcap_path = std::getenv("TAPTCP_FUZZ_PCAP");
  if (g_pcap_path != nullptr && *g_pcap_path == '\0') g_pcap_path = nullptr;
  g_verbose = std::getenv("TAPTCP_FUZZ_VERBOSE") != nullptr;
  g_known_bugs = std::getenv("TAPTCP_FUZZ_KNOWN_BUGS") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  taptcp::fuzz::Harness h;
  h.Run(std::span<const uint8_t>(data, size));
  return 0;
}
