// messages/operations.cpp — names of the Operations seam's enums.
#include "messages/operations.hpp"

namespace qg {

const char* resolved_status(Resolution r) {
  switch (r) {
    case Resolution::commit: return "committed";
    case Resolution::release: return "released";
    case Resolution::cancel: return "cancelled";
  }
  return "released";
}

}  // namespace qg
