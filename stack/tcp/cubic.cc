#include "stack/tcp/cubic.h"

#include <algorithm>
#include <cmath>

namespace taptcp::tcp {
namespace {

constexpr uint32_t kBetaScale = 1024;  // BICTCP_BETA_SCALE
constexpr uint32_t kBictcpHz = 10;     // BICTCP_HZ: time in the cubic function is in 1/1024 s
constexpr uint32_t kHz = 1000;         // jiffies per second (the wheel's 1 ms tick)
// HyStart delay detection: at least this many samples per round, and an RTT rise of delay_min/8
// clamped to [4 ms, 16 ms] (HYSTART_MIN_SAMPLES, HYSTART_DELAY_MIN/MAX).
constexpr uint8_t kHystartMinSamples = 8;
constexpr uint32_t kHystartDelayMinUs = 4000;
constexpr uint32_t kHystartDelayMaxUs = 16000;

// RFC 1982-style "a is after b" on 32-bit sequence numbers and clocks (Linux's after()).
bool After(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) < 0; }

// usecs_to_jiffies at HZ=1000: round up.
uint32_t UsecsToJiffies(uint32_t us) { return static_cast<uint32_t>((uint64_t{us} + 999) / 1000); }

uint32_t DurationToUs(Duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<microseconds>(d).count());
}

}  // namespace

Cubic::Cubic(const CubicParams& params) : params_(params) {
  // cubictcp_register. beta_scale: ACKed segments per +1 of the AIMD-equivalent window, scaled by
  // 8 -- 3(1-beta)/(1+beta) segments per RTT is the Reno-friendly rate (RFC 9438 §4.3), so
  // 8*(1+beta)/(3*(1-beta)) = 15 for beta = 717/1024.
  const uint32_t beta = static_cast<uint32_t>(params_.beta);
  beta_scale_ = 8 * (kBetaScale + beta) / 3 / (kBetaScale - beta);
  // C/rtt in 1/1024 units for the 100 ms rtt the constants are scaled to: bic_scale*10 = 410.
  cube_rtt_scale_ = static_cast<uint32_t>(params_.bic_scale) * 10;
  // K = cbrt((W_max - cwnd) * cube_factor) in 1/1024 s: 2^(3*BICTCP_HZ) / (C/rtt * 1024).
  cube_factor_ = (uint64_t{1} << (10 + 3 * kBictcpHz)) / (uint64_t{cube_rtt_scale_});
}

uint32_t Cubic::ClockUs(Instant t) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<microseconds>(t.time_since_epoch()).count());
}

uint32_t Cubic::CubicRoot(uint64_t a) {
  if (a == 0) return 0;
  // A double gets within one unit; exact integer cubes (in 128 bits, (2^21+1)^3 > 2^64) settle it.
  uint64_t x = static_cast<uint64_t>(std::cbrt(static_cast<double>(a)));
  auto cube = [](uint64_t v) { return static_cast<unsigned __int128>(v) * v * v; };
  while (cube(x + 1) <= a) ++x;
  while (x > 0 && cube(x) > a) --x;
  return static_cast<uint32_t>(x);
}

void Cubic::Reset() {
  const uint8_t sample_cnt = ca_.sample_cnt;
  const uint32_t round_start = ca_.round_start, end_seq = ca_.end_seq;
  const uint32_t last_ack = ca_.last_ack, curr_rtt = ca_.curr_rtt;
  // bictcp_reset clears everything up to the HyStart round bookkeeping, plus `found`.
  ca_ = Vars{};
  ca_.sample_cnt = sample_cnt;
  ca_.round_start = round_start;
  ca_.end_seq = end_seq;
  ca_.last_ack = last_ack;
  ca_.curr_rtt = curr_rtt;
}

void Cubic::HystartReset(const CcState& s, Instant now) {
  ca_.round_start = ca_.last_ack = ClockUs(now);
  ca_.end_seq = s.snd_nxt;
  ca_.curr_rtt = ~0u;
  ca_.sample_cnt = 0;
}

void Cubic::Init(CcState& s, Instant now) {
  Reset();
  if (params_.hystart) HystartReset(s, now);
  // With HyStart off, an initial_ssthresh module parameter caps slow start instead.
  if (!params_.hystart && params_.initial_ssthresh)
    s.ssthresh = static_cast<uint32_t>(params_.initial_ssthresh);
}

void Cubic::OnCwndEvent(CcState& s, CwndEvent event, Instant now) {
  if (event != CwndEvent::kTxStart) return;
  // After an application-limited idle period, slide the epoch forward by the idle time: the
  // curve continues where it left off instead of jumping by the time nobody was sending.
  const uint32_t now_j = Jiffies32(now);
  const int32_t delta = static_cast<int32_t>(now_j - Jiffies32(s.lsndtime));
  if (ca_.in_epoch && delta > 0) {
    ca_.epoch_start += static_cast<uint32_t>(delta);
    if (After(ca_.epoch_start, now_j)) ca_.epoch_start = now_j;
  }
}

void Cubic::Update(uint32_t cwnd, uint32_t acked, Instant now) {
  const uint32_t now_j = Jiffies32(now);
  ca_.ack_cnt += acked;

  // Same window and updated less than HZ/32 ago: keep the previous cnt.
  if (ca_.last_cwnd == cwnd && static_cast<int32_t>(now_j - ca_.last_time) <= int32_t{kHz / 32})
    return;

  // The cubic target moves at most once per jiffy; a reduction ends the epoch and forces it.
  if (!(ca_.in_epoch && now_j == ca_.last_time)) {
    ca_.last_cwnd = cwnd;
    ca_.last_time = now_j;

    if (!ca_.in_epoch) {
      ca_.in_epoch = true;
      ca_.epoch_start = now_j;
      ca_.ack_cnt = acked;
      ca_.tcp_cwnd = cwnd;  // the AIMD estimate starts from the current window
      if (ca_.last_max_cwnd <= cwnd) {
        // Already at or past W_max (or no loss yet): start on the convex side right away.
        ca_.bic_K = 0;
        ca_.bic_origin_point = cwnd;
      } else {
        ca_.bic_K = CubicRoot(cube_factor_ * (ca_.last_max_cwnd - cwnd));
        ca_.bic_origin_point = ca_.last_max_cwnd;
      }
    }

    // t: time since the epoch began plus one min RTT (the target is where the curve will be one
    // RTT from now), converted from jiffies to 1/1024 s.
    uint64_t t =
        static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(now_j - ca_.epoch_start)));
    t += UsecsToJiffies(ca_.delay_min);
    t <<= kBictcpHz;
    t /= kHz;

    const uint64_t offs = t < ca_.bic_K ? ca_.bic_K - t : t - ca_.bic_K;
    // C/rtt * (t-K)^3, in segments; u32 truncation and wrap exactly as the kernel's arithmetic.
    const uint32_t delta =
        static_cast<uint32_t>((cube_rtt_scale_ * offs * offs * offs) >> (10 + 3 * kBictcpHz));
    const uint32_t bic_target =
        t < ca_.bic_K ? ca_.bic_origin_point - delta : ca_.bic_origin_point + delta;

    // cnt = ACKs per +1 so that cwnd reaches the target in one RTT; far above target: crawl.
    ca_.cnt = bic_target > cwnd ? cwnd / (bic_target - cwnd) : 100 * cwnd;

    // Before the first loss the curve knows nothing of the path: grow at least 5% per RTT.
    if (ca_.last_max_cwnd == 0 && ca_.cnt > 20) ca_.cnt = 20;
  }

  // TCP-friendly region (RFC 9438 §4.3): track what an AIMD flow with the same beta would have
  // (+1 per cwnd*beta_scale/8 ACKed segments) and never grow slower than it.
  if (params_.tcp_friendliness) {
    const uint32_t per_inc = (cwnd * beta_scale_) >> 3;
    if (per_inc != 0 && ca_.ack_cnt > per_inc) {
      // Linux subtracts per_inc in a loop while ack_cnt > per_inc; this is the same in O(1).
      const uint32_t n = (ca_.ack_cnt - 1) / per_inc;
      ca_.ack_cnt -= n * per_inc;
      ca_.tcp_cwnd += n;
    }
    if (ca_.tcp_cwnd > cwnd) {
      const uint32_t max_cnt = cwnd / (ca_.tcp_cwnd - cwnd);
      if (ca_.cnt > max_cnt) ca_.cnt = max_cnt;
    }
  }

  // Never faster than +1 per 2 ACKed segments (1.5x per RTT).
  ca_.cnt = std::max(ca_.cnt, 2u);
}

void Cubic::CongAvoid(CcState& s, uint32_t acked, Instant now) {
  if (!IsCwndLimited(s)) return;
  if (InSlowStart(s)) {
    acked = SlowStart(s, acked);
    if (acked == 0) return;
  }
  Update(s.cwnd, acked, now);
  CongAvoidAi(s, ca_.cnt, acked);
}

uint32_t Cubic::SsThresh(const CcState& s) {
  ca_.in_epoch = false;  // the next CongAvoid starts a new epoch from the reduced window
  ca_.epoch_start = 0;
  // Fast convergence (RFC 9438 §4.7): a loss below the previous W_max means competition; give up
  // more by remembering a lower W_max.
  if (s.cwnd < ca_.last_max_cwnd && params_.fast_convergence) {
    ca_.last_max_cwnd =
        (s.cwnd * (kBetaScale + static_cast<uint32_t>(params_.beta))) / (2 * kBetaScale);
  } else {
    ca_.last_max_cwnd = s.cwnd;
  }
  return std::max((s.cwnd * static_cast<uint32_t>(params_.beta)) / kBetaScale, 2u);
}

void Cubic::OnSetState(CcState& s, CaState new_state, Instant now) {
  if (new_state == CaState::kLoss) {
    Reset();
    HystartReset(s, now);
  }
}

uint32_t Cubic::HystartAckDelay(const CcState& s) const {
  // Allow for TSO/GRO batching at the receiver: the time to send four GSO-sized bursts at the
  // pacing rate, capped at 1 ms (hystart_ack_delay).
  if (s.pacing_rate == 0) return 0;
  const uint64_t d = uint64_t{params_.gso_max_size} * 4 * 1000000 / s.pacing_rate;
  return static_cast<uint32_t>(std::min<uint64_t>(1000, d));
}

void Cubic::HystartUpdate(CcState& s, uint32_t delay, Instant now) {
  // A new round begins once everything sent at the start of the previous one is acknowledged.
  if (After(s.snd_una, ca_.end_seq)) HystartReset(s, now);

  // Too small a window for the signals to mean anything.
  if (s.cwnd < static_cast<uint32_t>(params_.hystart_low_window)) return;

  if (params_.hystart_detect & kHystartAckTrain) {
    const uint32_t now_us = ClockUs(now);
    // ACKs still arriving back to back (within hystart_ack_delta_us): if the train has lasted
    // longer than half the min RTT, the pipe is full.
    if (static_cast<int32_t>(now_us - ca_.last_ack) <= params_.hystart_ack_delta_us) {
      ca_.last_ack = now_us;
      uint32_t threshold = ca_.delay_min + HystartAckDelay(s);
      // Without pacing the whole window leaves at once, so its ACKs span delay_min/2 at most...
      // unless the bottleneck is full. With pacing they are already spread over ~RTT/2.
      if (!s.pacing) threshold >>= 1;
      if (static_cast<int32_t>(now_us - ca_.round_start) > static_cast<int32_t>(threshold)) {
        ca_.found = true;
        if (s.stats) {
          s.stats->TCPHystartTrainDetect++;
          s.stats->TCPHystartTrainCwnd += s.cwnd;
        }
        s.ssthresh = s.cwnd;
      }
    }
  }

  if (params_.hystart_detect & kHystartDelay) {
    // The smallest RTT of the round's first samples; if even that rose by more than the
    // threshold over delay_min, queues are building: leave slow start.
    if (ca_.curr_rtt > delay) ca_.curr_rtt = delay;
    if (ca_.sample_cnt < kHystartMinSamples) {
      ca_.sample_cnt++;
    } else {
      const uint32_t thresh =
          std::clamp(ca_.delay_min >> 3, kHystartDelayMinUs, kHystartDelayMaxUs);
      if (ca_.curr_rtt > ca_.delay_min + thresh) {
        ca_.found = true;
        if (s.stats) {
          s.stats->TCPHystartDelayDetect++;
          s.stats->TCPHystartDelayCwnd += s.cwnd;
        }
        s.ssthresh = s.cwnd;
      }
    }
  }
}

void Cubic::PktsAcked(CcState& s, const AckSample& sample, Instant now) {
  if (sample.rtt < Duration::zero()) return;  // duplicate ACK without a timestamp sample
  // Within 1 s of an epoch start (right after a reduction) RTT samples still carry the queue the
  // loss left behind: skip them, for delay_min and HyStart alike.
  if (ca_.in_epoch && static_cast<int32_t>(Jiffies32(now) - ca_.epoch_start) < int32_t{kHz}) return;

  uint32_t delay = DurationToUs(sample.rtt);
  if (delay == 0) delay = 1;
  if (ca_.delay_min == 0 || ca_.delay_min > delay) ca_.delay_min = delay;

  if (!ca_.found && InSlowStart(s) && params_.hystart) HystartUpdate(s, delay, now);
}

}  // namespace taptcp::tcp
