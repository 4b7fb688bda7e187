#include "stack/tcp/rto.h"

#include <algorithm>

namespace taptcp::tcp {
namespace {

// Linux's after(): sequence-space comparison modulo 2^32.
bool After(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) < 0; }

int64_t ToUs(Duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }

}  // namespace

// --- WindowedMinFilter -----------------------------------------------------------------------

void WindowedMinFilter::Reset(uint32_t t, uint32_t v) { s_[0] = s_[1] = s_[2] = Sample{t, v}; }

uint32_t WindowedMinFilter::Update(uint32_t window, uint32_t t, uint32_t v) {
  const Sample val{t, v};
  // A new minimum, or every kept sample has aged out: start over from this one.
  if (v <= s_[0].v || t - s_[2].t > window) {
    Reset(t, v);
    return v;
  }
  if (v <= s_[1].v) {
    s_[1] = s_[2] = val;
  } else if (v <= s_[2].v) {
    s_[2] = val;
  }
  return SubwinUpdate(window, val);
}

uint32_t WindowedMinFilter::SubwinUpdate(uint32_t window, Sample val) {
  const uint32_t dt = val.t - s_[0].t;
  if (dt > window) {
    // The best sample expired: promote the runners-up; the second may have expired too.
    s_[0] = s_[1];
    s_[1] = s_[2];
    s_[2] = val;
    if (val.t - s_[0].t > window) {
      s_[0] = s_[1];
      s_[1] = s_[2];
      s_[2] = val;
    }
  } else if (s_[1].t == s_[0].t && dt > window / 4) {
    // A quarter of the window went by with no second choice: take one from the second quarter.
    s_[2] = s_[1] = val;
  } else if (s_[2].t == s_[1].t && dt > window / 2) {
    // Half the window without a third choice: take one from the second half.
    s_[2] = val;
  }
  return s_[0].v;
}

// --- RtoEstimator ----------------------------------------------------------------------------

RtoEstimator::RtoEstimator(const Config& config)
    : config_(config),
      rto_min_us_(static_cast<uint32_t>(ToUs(config.rto_min))),
      rto_max_ms_(
          static_cast<uint32_t>(std::chrono::duration_cast<milliseconds>(config.rto_max).count())),
      min_rtt_window_j_(static_cast<uint32_t>(
          std::chrono::duration_cast<milliseconds>(config.min_rtt_window).count())),
      rto_ms_(
          static_cast<uint32_t>(std::chrono::duration_cast<milliseconds>(kInitialRto).count())) {}

void RtoEstimator::OnSample(const RttSample& sample, uint32_t snd_una, uint32_t snd_nxt,
                            Instant now) {
  if (sample.rtt < Duration::zero()) return;  // Karn: nothing valid to learn from this ACK
  const int64_t seq_rtt_us = ToUs(sample.rtt);
  // ca_rtt is taken with the same ACK as seq_rtt; without one, the same segment answers both.
  const int64_t ca_rtt_us = sample.ca_rtt < Duration::zero() ? seq_rtt_us : ToUs(sample.ca_rtt);

  // tcp_update_rtt_min. A possibly delayed ACK must not raise the filter (the receiver's delay
  // would be taken for propagation delay once the true minimum ages out).
  const uint32_t ca_rtt = static_cast<uint32_t>(std::min<int64_t>(ca_rtt_us, 0xffffffff));
  if (!(sample.ack_maybe_delayed && ca_rtt > min_rtt_.Get())) {
    // A 0 us sample is stored as one jiffy (jiffies_to_usecs(1)): 0 would read as "none".
    min_rtt_.Update(min_rtt_window_j_, Jiffies32(now), ca_rtt != 0 ? ca_rtt : 1000);
  }

  Estimate(seq_rtt_us, snd_una, snd_nxt);
  SetRto();
  backoff_ = 0;  // RFC 6298 §5.7: only a valid measurement resets the backoff
}

void RtoEstimator::Estimate(int64_t m, uint32_t snd_una, uint32_t snd_nxt) {
  // Jacobson/Karels (SIGCOMM '88) in Linux's fixed point: srtt_us8_ is 8*SRTT, mdev_us_ is
  // 4*mean deviation, so the gains 1/8 and 1/4 are shifts.
  uint32_t srtt = srtt_us8_;
  if (srtt != 0) {
    m -= srtt >> 3;                    // error of the estimate
    srtt += static_cast<uint32_t>(m);  // SRTT += err/8
    if (m < 0) {
      m = -m;
      m -= mdev_us_ >> 2;
      // RTT falling: a shrinking deviation takes the usual 1/4 gain, a growing one only 1/32
      // (1/4 * 1/8), so a falling RTT barely inflates the RTO (Linux's Eifel-like rule).
      if (m > 0) m >>= 3;
    } else {
      m -= mdev_us_ >> 2;
    }
    mdev_us_ += static_cast<uint32_t>(m);  // mdev = 3/4 mdev + 1/4 |err|
    // The variance term follows a rising mdev at once...
    if (mdev_us_ > mdev_max_us_) {
      mdev_max_us_ = mdev_us_;
      if (mdev_max_us_ > rttvar_us_) rttvar_us_ = mdev_max_us_;
    }
    // ...but decays only once per RTT, a quarter of the way toward the window's largest mdev.
    if (After(snd_una, rtt_seq_)) {
      if (mdev_max_us_ < rttvar_us_) rttvar_us_ -= (rttvar_us_ - mdev_max_us_) >> 2;
      rtt_seq_ = snd_nxt;
      mdev_max_us_ = rto_min_us_;
    }
  } else {
    // First sample (RFC 6298 §2.2): SRTT = R, RTTVAR = R/2, i.e. mdev_us = 4 * R/2. The variance
    // term is floored at rto_min.
    srtt = static_cast<uint32_t>(m << 3);
    mdev_us_ = static_cast<uint32_t>(m << 1);
    rttvar_us_ = std::max(mdev_us_, rto_min_us_);
    mdev_max_us_ = rttvar_us_;
    rtt_seq_ = snd_nxt;
  }
  srtt_us8_ = std::max(1u, srtt);  // 0 means "no sample"; a 0 us RTT is stored as 1
}

uint32_t RtoEstimator::BaseRtoMs() const {
  // __tcp_set_rto: SRTT + variance term, usecs_to_jiffies rounds up; tcp_bound_rto caps it. No
  // lower clamp: rttvar_us_ >= rto_min already guarantees RTO >= SRTT + rto_min.
  const uint64_t us = uint64_t{srtt_us8_ >> 3} + rttvar_us_;
  const uint64_t ms = (us + 999) / 1000;
  return static_cast<uint32_t>(std::min<uint64_t>(ms, rto_max_ms_));
}

void RtoEstimator::SetRto() { rto_ms_ = BaseRtoMs(); }

void RtoEstimator::Backoff() {
  backoff_++;
  rto_ms_ = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{rto_ms_} << 1, rto_max_ms_));
}

void RtoEstimator::ResetBackoff() {
  backoff_ = 0;
  rto_ms_ =
      has_sample()
          ? BaseRtoMs()
          : static_cast<uint32_t>(std::chrono::duration_cast<milliseconds>(kInitialRto).count());
}

void RtoEstimator::ApplyFallbackIfNoSample() {
  if (has_sample()) return;
  rttvar_us_ = static_cast<uint32_t>(ToUs(kFallbackRto));
  mdev_us_ = mdev_max_us_ = rttvar_us_;
  rto_ms_ = static_cast<uint32_t>(std::chrono::duration_cast<milliseconds>(kFallbackRto).count());
}

Duration RtoEstimator::min_rtt() const {
  const uint32_t v = min_rtt_.Get();
  if (v == WindowedMinFilter::kNone) return Duration::max();
  return microseconds(v);
}

RtoEstimator::LinuxState RtoEstimator::linux_state() const {
  return LinuxState{srtt_us8_, mdev_us_, mdev_max_us_, rttvar_us_, rtt_seq_, rto_ms_, backoff_};
}

}  // namespace taptcp::tcp
