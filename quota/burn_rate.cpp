// quota/burn_rate.cpp — the EWMA behind the forecast (see burn_rate.hpp).
#include "quota/burn_rate.hpp"

#include <algorithm>
#include <cmath>

namespace qg {

namespace {
constexpr double kLambdaPerMs = 0.69314718055994530942 / static_cast<double>(kBurnHalfLifeMs);
double decay(TimeMs dt) { return dt > 0 ? std::exp(-kLambdaPerMs * static_cast<double>(dt)) : 1.0; }
}  // namespace

void BurnRate::add(double units, TimeMs ts) {
  if (units <= 0) return;
  if (since == 0) {
    since = ts;
    at = ts;
  }
  if (ts > at) {
    level *= decay(ts - at);
    at = ts;
  }
  level += units;
}

double BurnRate::per_ms(TimeMs now) const {
  if (since == 0 || level <= 0) return 0;
  const double level_now = level * decay(now - at);
  const TimeMs span = std::max<TimeMs>(now - since, kBurnHalfLifeMs);
  return kLambdaPerMs * level_now / (1.0 - decay(span));
}

void BurnRates::add(const Usage& u, TimeMs ts) {
  requests.add(static_cast<double>(u.requests), ts);
  input_tokens.add(static_cast<double>(u.input_tokens), ts);
  output_tokens.add(static_cast<double>(u.output_tokens), ts);
}

double BurnRates::per_ms(Metric m, TimeMs now) const {
  switch (m) {
    case Metric::requests: return requests.per_ms(now);
    case Metric::input_tokens: return input_tokens.per_ms(now);
    case Metric::output_tokens: return output_tokens.per_ms(now);
    case Metric::tokens: return input_tokens.per_ms(now) + output_tokens.per_ms(now);
  }
  return 0;
}

}  // namespace qg
