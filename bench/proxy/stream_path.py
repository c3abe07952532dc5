#!/usr/bin/env python3
# bench/proxy/stream_path.py TIMEHIST QG_PID DRIVER_PID MOCK_PID — a stream's path to its first
# byte, rebuilt from the thread wake-ups of `perf sched timehist -w` (see stream_path.sh). For each
# request a QuotaGuard HTTP worker served (woken by the driver ... waking the driver), the
# intervals between: the driver's wake-up of the worker, the worker waking an actor-scheduler
# thread (the route), one waking it (the grant), the worker waking the mock (the upstream call),
# the mock waking it (the response head with the first event), the worker's first wake-up of
# the driver (the first byte). Prints p50/p90 of each over the requests of the capture.
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from request_path import add_path, print_spans, task  # noqa: E402

WAKE = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+(\S+)\s+awakened: (\S+)')
NAMES = ['1 request read -> route sent', '2 route + reservation (durable)', '3 grant -> upstream sent',
         '4 upstream (the SSE mock)', '5 upstream reply -> first byte sent', 'total (read -> first byte)']


def main(path, qg, driver, mock):
    def who(t):
        if t[2] == driver:
            return 'driver'
        if t[2] == mock:
            return 'mock'
        if t[2] == qg:
            return 'caf' if t[0].startswith('caf.') else 'qg'
        return 'other'

    seq = defaultdict(list)  # worker tid -> [(time, 'in'|'out', who)]
    for line in open(path):
        m = WAKE.match(line)
        if not m:
            continue
        t, waker, wakee = float(m.group(1)), task(m.group(2)), task(m.group(3))
        if wakee[2] == qg and not wakee[0].startswith('caf.'):
            seq[wakee[1]].append((t, 'in', who(waker)))
        if waker[2] == qg and not waker[0].startswith('caf.'):
            seq[waker[1]].append((t, 'out', who(wakee)))
    spans = defaultdict(list)
    for events in seq.values():
        i = 0
        while i < len(events):
            t, way, other = events[i]
            if not (way == 'in' and other == 'driver'):
                i += 1
                continue
            marks = {'start': t}
            j = i + 1
            while j < len(events) and not (events[j][1] == 'out' and events[j][2] == 'driver'):
                tj, wj, oj = events[j]
                if wj == 'out' and oj == 'caf' and 'route' not in marks:
                    marks['route'] = tj
                elif wj == 'in' and oj == 'caf' and 'route' in marks and 'grant' not in marks:
                    marks['grant'] = tj
                elif wj == 'out' and oj == 'mock' and 'grant' in marks and 'up' not in marks:
                    marks['up'] = tj
                elif wj == 'in' and oj == 'mock' and 'up' in marks:
                    marks['back'] = tj  # the last before the first byte
                j += 1
            if j < len(events) and all(k in marks for k in ('route', 'grant', 'up', 'back')):
                add_path(spans, NAMES, marks, events[j][0])
            i = j + 1
    print_spans(spans, NAMES, 'streams')


if __name__ == '__main__':
    main(*sys.argv[1:5])
