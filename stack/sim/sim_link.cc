#include "stack/sim/sim_link.h"

#include <random>
#include <vector>

#include "stack/sim/network.h"

namespace taptcp::sim {

void SimLink::End::Transmit(std::span<const uint8_t> frame, Instant now) {
  link_->Send(side_, frame, now);
}

void SimLink::End::TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                                     Instant now) {
  if (!link_->Perfect(side_)) {
    Link::TransmitOffloaded(frame, offload, now);  // cut up; each piece meets the impairments
    return;
  }
  LinkStats& st = link_->stats_[side_];
  st.sent++;
  st.delivered++;
  if (link_->tap_ != nullptr) link_->tap_->TransmitOffloaded(frame, offload, now);
  link_->net_->Deliver(link_->hosts_[1 - side_], frame, now + link_->imp_[side_].delay, offload);
}

bool SimLink::Perfect(int from) const {
  const Impairments& imp = imp_[from];
  return imp.loss == 0 && imp.duplicate == 0 && imp.corrupt == 0 && imp.reorder == 0 &&
         imp.jitter == Duration::zero() && imp.bandwidth_bps == 0;
}

SimLink::SimLink(Network* net, Driveable* a, Driveable* b, const Impairments& ab,
                 const Impairments& ba)
    : net_(net), hosts_{a, b}, imp_{ab, ba} {
  for (int i = 0; i < 2; ++i) {
    ends_[i].link_ = this;
    ends_[i].side_ = i;
  }
}

void SimLink::Send(int from, std::span<const uint8_t> frame, Instant now) {
  const Impairments& imp = imp_[from];
  LinkStats& st = stats_[from];
  Driveable* to = hosts_[1 - from];
  std::mt19937_64& rng = net_->rng();
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  st.sent++;
  if (tap_ != nullptr) tap_->Transmit(frame, now);

  // Serialisation at the link's bandwidth behind a drop-tail queue.
  Instant depart = now;
  if (imp.bandwidth_bps > 0) {
    const Instant start = std::max(now, busy_until_[from]);
    if (imp.queue_limit_bytes > 0) {
      const double backlog_bytes =
          ToSeconds(start - now) * static_cast<double>(imp.bandwidth_bps) / 8.0;
      if (backlog_bytes + static_cast<double>(frame.size()) >
          static_cast<double>(imp.queue_limit_bytes)) {
        st.queue_drops++;
        return;
      }
    }
    const auto tx_time = Duration(static_cast<int64_t>(
        static_cast<double>(frame.size()) * 8.0 * 1e9 / static_cast<double>(imp.bandwidth_bps)));
    busy_until_[from] = start + tx_time;
    depart = busy_until_[from];
  }
  // Every random draw happens in the same order for every frame, so a seed replays exactly. A
  // perfect wire draws nothing (the draws cost more than the stack's own work per frame).
  const bool random = imp.loss > 0 || imp.duplicate > 0 || imp.corrupt > 0 || imp.reorder > 0 ||
                      imp.jitter > Duration::zero();
  const bool lose = random && coin(rng) < imp.loss;
  const bool dup = random && coin(rng) < imp.duplicate;
  const bool corrupt = random && coin(rng) < imp.corrupt;
  const bool hold = random && coin(rng) < imp.reorder;
  const double jitter_frac = random ? coin(rng) : 0.0;
  const uint64_t bit = random ? rng() : 0;
  if (lose) {
    st.lost++;
    return;
  }
  Instant arrive = depart + imp.delay;
  if (imp.jitter > Duration::zero()) {
    arrive += Duration(static_cast<int64_t>(jitter_frac * static_cast<double>(imp.jitter.count())));
  }
  if (hold) {
    st.reordered++;
    arrive += imp.reorder_delay;
  }
  if (corrupt && !frame.empty()) {
    st.corrupted++;
    std::vector<uint8_t> copy(frame.begin(), frame.end());
    copy[(bit >> 3) % copy.size()] ^= static_cast<uint8_t>(1u << (bit & 7));
    net_->Deliver(to, copy, arrive);
  } else {
    net_->Deliver(to, frame, arrive);
  }
  st.delivered++;
  if (dup) {
    st.duplicated++;
    st.delivered++;
    net_->Deliver(to, frame, arrive + microseconds(1));
  }
}

}  // namespace taptcp::sim
