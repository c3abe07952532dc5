#!/usr/bin/env python3
# bench/proxy/wake_path.py — shared by request_path.py and stream_path.py: one request's path
# through the daemon, rebuilt from the thread wake-ups of `perf sched timehist -w`.
#
# wake_sequences(path, pid, who): for each of PID's HTTP worker threads (its threads not named
#   caf.*), the wake-ups it received ('in') and gave ('out') in time order, each with `who` of
#   the other end (a label: 'client', 'caf', 'upstream', ...).
# request_paths(seq, names, stream): each request's marks (the client wakes the worker → it
#   wakes an actor thread (route) → an actor thread wakes it (grant) → it wakes the upstream →
#   the upstream wakes it (the reply) → the worker wakes the client) as intervals named `names`,
#   and each request's route → grant window; print_spans prints their p50/p90. A plain request
#   takes the upstream's first wake-up as its reply; a stream (`stream`) the last one before its
#   first byte, and only an upstream call after the grant.
# handoffs(path, pid, windows): the wake-ups among the daemon's own threads (and between them
#   and a PostgreSQL server process, `pg`) inside each request's route → grant window: the
#   reservation's thread hand-offs, one chain a request.
# stalls(path, pid, seq, limit_ms): the requests whose read → answer took over limit_ms, each
#   with its marks, and every sleep of the journal thread over limit_ms with what woke it (an
#   interrupt, `swapper`/`<idle>`: its I/O completed) — for a p99 set by a few stalls.
import re
from collections import Counter, defaultdict

WAKE = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+(\S+)\s+awakened: (\S+)')
TASK = re.compile(r'(.*)\[(\d+)(?:/(\d+))?\]$')


def task(text):
    m = TASK.match(text)
    return (m.group(1), m.group(2), m.group(3) or m.group(2)) if m else (text, '', '')


def wakes(path):
    for line in open(path):
        m = WAKE.match(line)
        if m:
            yield float(m.group(1)), task(m.group(2)), task(m.group(3))


def wake_sequences(path, pid, who):
    seq = defaultdict(list)  # worker tid -> [(time, 'in'|'out', who of the other end)]
    for t, waker, wakee in wakes(path):
        if wakee[2] == pid and not wakee[0].startswith('caf.'):
            seq[wakee[1]].append((t, 'in', who(waker)))
        if waker[2] == pid and not waker[0].startswith('caf.'):
            seq[waker[1]].append((t, 'out', who(wakee)))
    return seq


def request_paths(seq, names, stream=False):
    spans, windows = defaultdict(list), []
    for tid, events in seq.items():
        i = 0
        while i < len(events):
            t, way, other = events[i]
            if not (way == 'in' and other == 'client'):
                i += 1
                continue
            marks = {'start': t}
            j = i + 1
            while j < len(events) and not (events[j][1] == 'out' and events[j][2] == 'client'):
                tj, wj, oj = events[j]
                if wj == 'out' and oj == 'caf' and 'route' not in marks:
                    marks['route'] = tj
                elif wj == 'in' and oj == 'caf' and 'route' in marks and 'grant' not in marks:
                    marks['grant'] = tj
                elif wj == 'out' and oj == 'upstream' and ('grant' in marks or not stream) and 'up' not in marks:
                    marks['up'] = tj
                elif wj == 'in' and oj == 'upstream' and 'up' in marks and (stream or 'back' not in marks):
                    marks['back'] = tj
                j += 1
            if j < len(events) and all(k in marks for k in ('route', 'grant', 'up', 'back')):
                if add_path(spans, names, marks, events[j][0]):
                    windows.append((tid, marks['route'], marks['grant']))
            i = j + 1
    return spans, windows


# One path's intervals (start → route → grant → up → back → done), when in order; the last name is the total.
def add_path(spans, names, marks, done):
    points = [marks['start'], marks['route'], marks['grant'], marks['up'], marks['back'], done]
    if not all(a <= b for a, b in zip(points, points[1:])):
        return False
    for n, a, b in zip(names, points, points[1:]):
        spans[n].append(b - a)
    spans[names[-1]].append(done - marks['start'])
    return True


def print_spans(spans, names, what):
    print(f"{'interval':36s} {what:>8s} {'p50 µs':>8s} {'p90 µs':>8s}")
    for n in names:
        v = sorted(spans[n])
        if v:
            print(f"{n:36s} {len(v):8d} {v[len(v) // 2] * 1e6:8.0f} {v[int(len(v) * 0.9)] * 1e6:8.0f}")


def kind(comm, tid, worker):
    if comm == 'postgres':
        return 'pg'  # a PostgreSQL server process (the journal's backend, on a PostgreSQL log)
    if tid == worker:
        return 'worker'
    if comm == 'caf.multiplexer':
        return 'sched'  # CAF's scheduler workers inherit the multiplexer's name
    if comm == 'caf.actor':
        return 'journal'  # the one detached actor
    if comm == 'caf.clock':
        return 'timer'
    return 'http'  # another connection's worker


# The reservation's hand-offs: inside each request's route → grant window (its own worker's
# `out` to an actor thread and the `in` from one), every wake-up one daemon thread gave another,
# as a chain "worker>sched sched>journal ...", scheduler workers numbered in order of
# appearance (sched1, sched2) so that two different ones show. Prints the most common chains
# with their count and, for the most common, each hop's p50 time after the route.
def handoffs(path, pid, windows, top=6):
    by_worker = defaultdict(list)
    for tid, a, b in windows:
        by_worker[tid].append((a, b))
    inside = defaultdict(list)  # (worker, route time) -> [(t, waker, wakee)]
    spans = sorted((a, b, tid) for tid, a, b in windows)
    # the daemon's threads, and a PostgreSQL backend the daemon wakes or is woken by
    among = [(t, w, e) for t, w, e in wakes(path)
             if (w[2] == pid or w[0] == 'postgres') and (e[2] == pid or e[0] == 'postgres') and pid in (w[2], e[2])]
    k = 0
    for t, waker, wakee in among:
        while k < len(spans) and spans[k][1] < t:
            k += 1
        for a, b, tid in spans[k:]:
            if a > t:
                break
            if a <= t <= b:
                inside[(tid, a)].append((t, waker, wakee))
    chains, steps = Counter(), defaultdict(list)
    for (tid, a), hops in inside.items():
        names, out = {}, []
        for t, waker, wakee in hops:
            def label(x):
                kd = kind(x[0], x[1], tid)
                if kd != 'sched':
                    return kd
                names.setdefault(x[1], f'sched{len(names) + 1}')
                return names[x[1]]
            out.append((t - a, f'{label(waker)}>{label(wakee)}'))
        chain = ' '.join(h for _, h in out)
        chains[chain] += 1
        steps[chain].append([d for d, _ in out])
    total = sum(chains.values())
    print(f"reservation hand-offs (wake-ups among the daemon's threads, route -> grant), {total} requests:")
    for chain, n in chains.most_common(top):
        print(f"  {n:6d} ({100.0 * n / total:4.1f} %)  {chain}")
    if chains:
        chain = chains.most_common(1)[0][0]
        rows = steps[chain]
        at = [sorted(r[i] for r in rows)[len(rows) // 2] * 1e6 for i in range(len(rows[0]))]
        print('  most common, p50 µs after the route: ' +
              '  '.join(f'{h} {x:.0f}' for h, x in zip(chain.split(), at)))


SWITCH = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$')


def stalls(path, pid, seq, limit_ms, top=40):
    slow, n = [], 0
    for tid, events in seq.items():
        # A request: the client's wake-up of the worker, then the worker's of the client, with no
        # other client wake-up between (a request whose client was awake for its answer is skipped).
        at_client = [k for k, e in enumerate(events) if e[2] == 'client']
        for a, b in zip(at_client, at_client[1:]):
            if events[a][1] == 'in' and events[b][1] == 'out':
                n += 1
                if (events[b][0] - events[a][0]) * 1e3 > limit_ms:
                    slow.append((events[a][0], events[b][0], tid, events[a + 1:b]))
    print(f"requests over {limit_ms} ms (read -> answer sent): {len(slow)} of {n}; marks in ms after the read "
          "(out:caf route sent, in:caf grant, out/in:upstream):")
    for a, b, tid, marks in sorted(slow)[:top]:
        print(f"  {a:.6f} worker {tid} {(b - a) * 1e3:7.2f} ms  " +
              ' '.join(f"{w}:{o}+{(x - a) * 1e3:.2f}" for x, w, o in marks))
    journal, woke = None, {}
    for t, waker, wakee in wakes(path):
        if wakee[2] == pid and wakee[0] == 'caf.actor':
            journal = journal or wakee[1]
            if wakee[1] == journal:
                woke[round(t, 6)] = waker[0]
    print(f"journal thread sleeps over {limit_ms} ms (ended at, length, woken by):")
    last_wake = sorted(woke)
    k = 0
    for line in open(path):
        m = SWITCH.match(line)
        if not m or task(m.group(2))[1] != journal or float(m.group(3)) <= limit_ms:
            continue
        end = float(m.group(1))
        while k + 1 < len(last_wake) and last_wake[k + 1] <= end:
            k += 1
        by = woke[last_wake[k]] if last_wake and last_wake[k] <= end else '?'
        print(f"  {end:.6f} {float(m.group(3)):8.2f} ms  {by}")
