#!/usr/bin/env python3
# bench/proxy/request_path.py TIMEHIST PID — one proxied request's path, rebuilt from the thread
# wake-ups of `perf sched timehist -w` (see request_path.sh). For each request an HTTP worker
# of PID served (woken by wrk ... waking wrk), the intervals between: wrk's wake-up, the
# worker waking a CAF worker (the route), a CAF worker waking it (the grant), the worker waking
# nginx (the upstream call), nginx waking it (the reply), the worker waking wrk (the answer).
# Prints p50/p90 of each interval over the requests of the capture.
import re
import sys
from collections import defaultdict

WAKE = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+(\S+)\s+awakened: (\S+)')
TASK = re.compile(r'(.*)\[(\d+)(?:/(\d+))?\]$')


def task(text):
    m = TASK.match(text)
    return (m.group(1), m.group(2), m.group(3) or m.group(2)) if m else (text, '', '')


def main(path, pid):
    seq = defaultdict(list)  # worker tid -> [(time, 'in'|'out', other comm)]
    for line in open(path):
        m = WAKE.match(line)
        if not m:
            continue
        t, waker, wakee = float(m.group(1)), task(m.group(2)), task(m.group(3))
        if wakee[2] == pid and not wakee[0].startswith('caf.'):
            seq[wakee[1]].append((t, 'in', waker[0]))
        if waker[2] == pid and not waker[0].startswith('caf.'):
            seq[waker[1]].append((t, 'out', wakee[0] if wakee[2] != pid else 'self:' + wakee[0]))
    names = ['1 request read -> route sent', '2 route + reservation (durable)', '3 grant -> upstream sent',
             '4 upstream (nginx)', '5 upstream reply -> answer sent', 'total']
    spans = defaultdict(list)
    for events in seq.values():
        i = 0
        while i < len(events):
            t, way, who = events[i]
            if not (way == 'in' and who.startswith('wrk')):
                i += 1
                continue
            marks = {'start': t}
            j = i + 1
            while j < len(events) and not (events[j][1] == 'out' and events[j][2].startswith('wrk')):
                tj, wj, oj = events[j]
                if wj == 'out' and oj.startswith('self:caf.') and 'route' not in marks:
                    marks['route'] = tj
                elif wj == 'in' and oj.startswith('caf.') and 'route' in marks and 'grant' not in marks:
                    marks['grant'] = tj
                elif wj == 'out' and oj.startswith('nginx') and 'up' not in marks:
                    marks['up'] = tj
                elif wj == 'in' and oj.startswith('nginx') and 'up' in marks and 'back' not in marks:
                    marks['back'] = tj
                j += 1
            if j < len(events) and all(k in marks for k in ('route', 'grant', 'up', 'back')):
                add_path(spans, names, marks, events[j][0])
            i = j + 1
    print_spans(spans, names, 'requests')


# One path's intervals (start → route → grant → up → back → done), when in order; the last name is the total.
def add_path(spans, names, marks, done):
    points = [marks['start'], marks['route'], marks['grant'], marks['up'], marks['back'], done]
    if all(a <= b for a, b in zip(points, points[1:])):
        for n, a, b in zip(names, points, points[1:]):
            spans[n].append(b - a)
        spans[names[-1]].append(done - marks['start'])


def print_spans(spans, names, what):
    print(f"{'interval':36s} {what:>8s} {'p50 µs':>8s} {'p90 µs':>8s}")
    for n in names:
        v = sorted(spans[n])
        if v:
            print(f"{n:36s} {len(v):8d} {v[len(v) // 2] * 1e6:8.0f} {v[int(len(v) * 0.9)] * 1e6:8.0f}")


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
