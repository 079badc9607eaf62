"""The packet-level link of `npm run bench:packet` (bench/packet-check.ts): it moves IP packets between
the TUN device `tun0` of network namespace A and that of namespace B, so the kernels' own TCP runs end
to end over the emulated path (its congestion control, its windows, its send buffers), which the
bench's TCP-proxy emulator (bench/link-emulator.ts) cannot show. Each direction has a drop-tail
bottleneck of BUFFER bytes drained at RATE, then a one-way delay of half the RTT.

Usage: packet-emulator.py NS_A NS_B RATE_MBIT RTT_MS BUFFER_BYTES STATS_FILE
Prints `ready` once both devices are open. SIGUSR1 writes the queue statistics since the last SIGUSR1
to STATS_FILE as JSON and starts counting afresh; SIGTERM ends it."""
import collections
import ctypes
import fcntl
import json
import os
import select
import signal
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
# Packets read from one device per wake-up, so neither direction starves the other.
READ_BATCH = 64
# Queue waits kept for the percentiles between two SIGUSR1 (about 3 minutes at 1 Gbit/s).
MAX_SAMPLES = 2_000_000

libc = ctypes.CDLL('libc.so.6', use_errno=True)


def open_tun(netns):
    """Opens tun0 of `netns` (made there by `ip tuntap add`); the fd stays usable from any namespace."""
    own = os.open('/proc/self/ns/net', os.O_RDONLY)
    target = os.open(f'/run/netns/{netns}', os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns into {netns}')
        fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', b'tun0', IFF_TUN | IFF_NO_PI))
        return fd
    finally:
        libc.setns(own, CLONE_NEWNET)
        os.close(target)
        os.close(own)


class Direction:
    """One way across the link: the bottleneck queue, then the delay line."""

    def __init__(self, out_fd, rate_bytes_per_s, delay_s, buffer_bytes):
        self.out_fd, self.rate, self.delay, self.buffer = out_fd, rate_bytes_per_s, delay_s, buffer_bytes
        self.busy_until = 0.0  # when the bottleneck has sent every packet it took
        self.queued = collections.deque()  # (leaves the bottleneck at, bytes)
        self.queued_bytes = 0
        self.line = collections.deque()  # (delivered at, packet)
        self.reset()

    def reset(self):
        self.packets = self.drops = self.bytes = 0
        self.since = time.monotonic()
        self.waits = []

    def take(self, packet, now):
        while self.queued and self.queued[0][0] <= now:
            self.queued_bytes -= self.queued.popleft()[1]
        if self.queued_bytes + len(packet) > self.buffer:
            self.drops += 1
            return
        start = max(now, self.busy_until)
        self.busy_until = start + len(packet) / self.rate
        self.queued.append((self.busy_until, len(packet)))
        self.queued_bytes += len(packet)
        self.line.append((self.busy_until + self.delay, packet))
        self.packets += 1
        self.bytes += len(packet)
        if len(self.waits) < MAX_SAMPLES:
            self.waits.append(start - now)

    def deliver(self, now):
        """Writes out what is due; returns when the next packet is, or None."""
        while self.line and self.line[0][0] <= now:
            try:
                os.write(self.out_fd, self.line.popleft()[1])
            except BlockingIOError:
                pass  # the device's queue is full: a drop, as a NIC's would be
        return self.line[0][0] if self.line else None

    def stats(self):
        waits = sorted(self.waits)

        def pct(p):
            return round(waits[min(len(waits) - 1, int(len(waits) * p / 100))] * 1000, 2) if waits else 0

        return {'packets': self.packets, 'drops': self.drops, 'bytes': self.bytes,
                'seconds': round(time.monotonic() - self.since, 3), 'waitP50Ms': pct(50), 'waitP99Ms': pct(99),
                'waitMaxMs': pct(100)}


def main():
    ns_a, ns_b = sys.argv[1], sys.argv[2]
    rate = float(sys.argv[3]) * 1e6 / 8
    delay = float(sys.argv[4]) / 2000
    buffer_bytes, stats_file = int(sys.argv[5]), sys.argv[6]
    fd_a, fd_b = open_tun(ns_a), open_tun(ns_b)
    a_to_b = Direction(fd_b, rate, delay, buffer_bytes)
    b_to_a = Direction(fd_a, rate, delay, buffer_bytes)
    state = {'running': True}

    def dump(*_):
        with open(stats_file + '.tmp', 'w') as f:
            json.dump({'aToB': a_to_b.stats(), 'bToA': b_to_a.stats()}, f)
        os.replace(stats_file + '.tmp', stats_file)
        a_to_b.reset()
        b_to_a.reset()

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, lambda *_: state.update(running=False))
    print('ready', flush=True)
    while state['running']:
        now = time.monotonic()
        due = [t for t in (a_to_b.deliver(now), b_to_a.deliver(now)) if t is not None]
        timeout = max(0.0, min(due) - time.monotonic()) if due else 0.5
        try:
            readable, _, _ = select.select([fd_a, fd_b], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd, direction in ((fd_a, a_to_b), (fd_b, b_to_a)):
            if fd in readable:
                for _ in range(READ_BATCH):
                    try:
                        direction.take(os.read(fd, 65536), now)
                    except BlockingIOError:
                        break


if __name__ == '__main__':
    main()
