// http/keep_alive_server.cpp — see keep_alive_server.hpp.
#include "http/keep_alive_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace qg {

void KeepAliveServer::wake_waiting() { stop_.raise(); }

bool KeepAliveServer::process_and_close_socket(socket_t sock) {
  ConnectionStream<PlainTransport> strm(PlainTransport{sock}, timeout_ms(read_timeout_sec_, read_timeout_usec_),
                                        timeout_ms(write_timeout_sec_, write_timeout_usec_));
  const ConnectionLimits limits{keep_alive_max_count_, timeout_ms(keep_alive_timeout_sec_, 0), stop_.fd()};
  const ConnectionOutcome out =
      serve_connection(strm, limits, svr_sock_, [this](httplib::Stream& s, bool last, bool& connection_closed) {
        return process_request(s, last, connection_closed, nullptr);
      });
  if (out.end == ConnectionEnd::linger) linger(sock, stop_.fd());
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return out.ok;
}

}  // namespace qg
