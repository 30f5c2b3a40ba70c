#!/usr/bin/env python3
"""Prints a base port B for an end-to-end test that will listen on B..B+SPAN-1 (loopback).

B is drawn from 20000..32767-SPAN: below the kernel's ephemeral range (32768+, where any concurrent test's outgoing
connection or port-0 bind may sit) and above the devnet tests' 10000-19200, and every port of the span is checked
free (bound and released) before it is printed. Another process can still take one in between; this makes that
a rare race instead of a likely collision."""
import random, socket, sys

span = int(sys.argv[1]) if len(sys.argv) > 1 else 1
lo, hi = 20000, 32767 - span
for _ in range(200):
    base = random.randint(lo, hi)
    ok = True
    for p in range(base, base + span):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
            break
        finally:
            s.close()
    if ok:
        print(base)
        sys.exit(0)
sys.exit("port_base: no free span of %d ports found" % span)
