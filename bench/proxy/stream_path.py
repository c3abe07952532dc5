#!/usr/bin/env python3
# bench/proxy/stream_path.py TIMEHIST QG_PID DRIVER_PID MOCK_PID — a stream's path to its first
# byte, rebuilt from the thread wake-ups of `perf sched timehist -w` (see stream_path.sh). For each
# request a QuotaGuard HTTP worker served (woken by the driver ... waking the driver), the
# intervals between: the driver's wake-up of the worker, the worker waking an actor-scheduler
# thread (the route), one waking it (the grant), the worker waking the mock (the upstream call),
# the mock waking it (the response head with the first event), the worker's first wake-up of
# the driver (the first byte). Prints p50/p90 of each over the requests of the capture, then the
# reservation's thread hand-offs (wake_path.handoffs).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wake_path import handoffs, print_spans, request_paths, wake_sequences  # noqa: E402

NAMES = ['1 request read -> route sent', '2 route + reservation (durable)', '3 grant -> upstream sent',
         '4 upstream (the SSE mock)', '5 upstream reply -> first byte sent', 'total (read -> first byte)']


def main(path, qg, driver, mock):
    def who(t):
        if t[2] == driver:
            return 'client'
        if t[2] == mock:
            return 'upstream'
        if t[2] == qg:
            return 'caf' if t[0].startswith('caf.') else 'qg'
        return 'other'

    spans, windows = request_paths(wake_sequences(path, qg, who), NAMES, stream=True)
    print_spans(spans, NAMES, 'streams')
    handoffs(path, qg, windows)


if __name__ == '__main__':
    main(*sys.argv[1:5])
