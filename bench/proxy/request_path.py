#!/usr/bin/env python3
# bench/proxy/request_path.py TIMEHIST PID — one proxied request's path, rebuilt from the thread
# wake-ups of `perf sched timehist -w` (see request_path.sh). For each request an HTTP worker
# of PID served (woken by wrk ... waking wrk), the intervals between: wrk's wake-up, the
# worker waking a CAF worker (the route), a CAF worker waking it (the grant), the worker waking
# nginx (the upstream call), nginx waking it (the reply), the worker waking wrk (the answer).
# Prints p50/p90 of each interval over the requests of the capture, then the reservation's
# thread hand-offs (wake_path.handoffs); with STALL_MS set, the requests slower than that and the
# journal's sleeps longer than that (wake_path.stalls).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wake_path import handoffs, print_spans, request_paths, stalls, wake_sequences  # noqa: E402

NAMES = ['1 request read -> route sent', '2 route + reservation (durable)', '3 grant -> upstream sent',
         '4 upstream (nginx)', '5 upstream reply -> answer sent', 'total']


def main(path, pid):
    def who(t):
        if t[2] == pid and t[0].startswith('caf.'):
            return 'caf'
        if t[0].startswith('wrk'):
            return 'client'
        if t[0].startswith('nginx'):
            return 'upstream'
        return 'other'

    seq = wake_sequences(path, pid, who)
    spans, windows = request_paths(seq, NAMES)
    print_spans(spans, NAMES, 'requests')
    handoffs(path, pid, windows)
    if os.environ.get('STALL_MS'):
        stalls(path, pid, seq, float(os.environ['STALL_MS']))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
