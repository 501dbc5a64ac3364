#!/usr/bin/env python3
"""Writes difficulty-cases.txt: the nBits the C++ Dilithion node's GetNextWorkRequired
(src/consensus/pow.cpp at 3e1bb6bc, parameters from src/core/chainparams.cpp) requires at the
boundaries of every rule, each with exactly the ancestor headers the rule reads.

This is the independent reference for Tests/DilithionChainTests/DifficultyReferenceTests.swift:
written from the C++ source with Python integers, it shares no code with the Swift rule. Run it
again after changing it (python3 make-difficulty-cases.py > difficulty-cases.txt); the output is
deterministic.

File format, one case per block:
    case NAME NETWORK HEIGHT TIME EXPECTED_BITS
    ancestor HEIGHT TIME BITS        (one line per header the rule reads)
    end
HEIGHT and TIME are those of the new header; bits are hex without 0x."""
import random
import sys

MIN_BITS = 0x1D00FFFF  # hardest a computed value may name
MAX_BITS = 0x1F0FFFFF  # easiest
MASK256 = (1 << 256) - 1

NETWORKS = {
    "mainnet": dict(genesis_bits=0x1E01FFFE, spacing=240, interval=2016, interval2=360, fork2=18500,
                    max_change2=2, fork3=20520, eda=7034, fix=18500, asert=23040, halflife=34560,
                    ts_fork=24500, dilv=False),
    "testnet": dict(genesis_bits=0x1D00FFFF, spacing=60, interval=2016, interval2=360, fork2=0,
                    max_change2=2, fork3=0, eda=0, fix=0, asert=999999999, halflife=8640,
                    ts_fork=0, dilv=False),
    "dilv": dict(genesis_bits=0x1D00FFFF, spacing=45, dilv=True),
}


def expand(bits):
    """CompactToBig: the word is the low 23 bits; zero size, zero word or size > 32 give 0."""
    size, word = bits >> 24, bits & 0x7FFFFF
    if word == 0 or size == 0 or size > 32:
        return 0
    return word >> (8 * (3 - size)) if size <= 3 else word << (8 * (size - 3))


def encode_raw(value):
    """BigToCompact: top three significant bytes and the byte count; the sign bit is not handled."""
    if value == 0:
        return 0
    size = (value.bit_length() + 7) // 8
    top = value << (8 * (3 - size)) if size <= 3 else value >> (8 * (size - 3))
    return (size << 24) | (top & 0xFFFFFF)


def fix_sign(bits):
    size, mantissa = bits >> 24, bits & 0xFFFFFF
    if mantissa & 0x800000:
        return ((size + 1) << 24) | (mantissa >> 8)
    return bits


def clamp(bits):
    return max(MIN_BITS, min(MAX_BITS, bits))


def c_div(a, b):
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


class Branch:
    """Ancestor headers by height; remembers which the rule read."""

    def __init__(self, headers):
        self.headers = headers
        self.read = set()

    def at(self, height):
        self.read.add(height)
        return self.headers[height]


def asert(p, branch, parent_height, anchor_height):
    parent_time, _ = branch.at(parent_height)
    anchor_time, anchor_bits = branch.at(anchor_height)
    drift = (parent_time - anchor_time) - p["spacing"] * (parent_height - anchor_height + 1)
    exponent = c_div(drift * 65536, p["halflife"])
    shifts, frac = exponent // 65536, exponent % 65536  # Python floors: what the C++ code builds by hand
    factor = 65536 + ((195766423245049 * frac + 971821376 * frac ** 2 + 5127 * frac ** 3 + (1 << 47)) >> 48)
    target = ((expand(anchor_bits) * factor) >> 16) & MASK256
    if shifts > 255:
        return MAX_BITS
    if shifts < -255:
        return MIN_BITS
    target = (target << shifts) & MASK256 if shifts >= 0 else target >> -shifts
    if target == 0:
        return MIN_BITS
    return clamp(fix_sign(encode_raw(target)))


def next_bits(network, height, time, branch):
    p = NETWORKS[network]
    if p["dilv"]:
        return p["genesis_bits"]
    if p["ts_fork"] > 0 and height >= p["ts_fork"]:
        return asert(p, branch, height - 1, p["ts_fork"] - 1)
    if p["asert"] > 0 and height >= p["asert"]:
        return asert(p, branch, height - 1, p["asert"] - 1)
    interval = p["interval2"] if height >= p["fork2"] else p["interval"]
    parent_time, parent_bits = branch.at(height - 1)
    if height % interval != 0:
        if parent_bits == 0:
            return p["genesis_bits"]  # before the EDA is even looked at
        prev = parent_bits
        if time > 0 and p["eda"] >= 0 and height >= p["eda"]:
            blocks = 15 if height >= p["fork3"] else 6
            threshold = blocks * p["spacing"]
            gap = time - parent_time
            if gap > threshold:
                steps = min(c_div(gap - threshold, threshold) + 1, 20)
                target = expand(prev)
                for _ in range(steps):
                    target = (target * 5 // 4) & MASK256
                bits = encode_raw(target)
                if height >= p["fix"]:
                    bits = fix_sign(bits)
                return clamp(bits)
        return prev
    first_time, _ = branch.at(height - interval)
    span = (parent_time - first_time) % 2 ** 32  # CBlockIndex::nTime is unsigned int: the C++ subtraction wraps
    planned = interval * p["spacing"]
    if span <= 0:
        span = planned
    if height >= p["fork3"]:
        change = 4
    elif height >= p["fork2"]:
        change = p["max_change2"]
    else:
        change = 4
    span = max(span, c_div(planned, change))
    span = min(span, planned * change)
    bits = clamp(encode_raw((expand(parent_bits) * span // planned) & MASK256))
    if height >= p["fix"]:
        bits = fix_sign(bits)
    return bits


CASES = []


def add(name, network, height, time, headers):
    branch = Branch(headers)
    expected = next_bits(network, height, time, branch)
    CASES.append((name, network, height, time, expected, {h: headers[h] for h in sorted(branch.read)}))


def chain(network, top, time_at, bits_at):
    """Headers 0..top: time_at(h) and bits_at(h) give each header's fields."""
    return {h: (time_at(h), bits_at(h)) for h in range(max(0, top - 2100), top + 1)} | {0: (time_at(0), bits_at(0))}


def main():
    rng = random.Random(20261125)
    main_genesis = 1737158400
    main_bits = NETWORKS["mainnet"]["genesis_bits"]

    def steady(spacing, start=main_genesis):
        return lambda h: start + spacing * h

    def const(bits):
        return lambda h: bits

    # Ordinary heights on mainnet: the parent's bits (zero falls back to genesis bits).
    for h in (1, 2, 2015, 2017, 4031, 7033):
        add(f"mainnet-plain-{h}", "mainnet", h, main_genesis + 240 * h, chain("mainnet", h - 1, steady(240), const(main_bits)))
    add("mainnet-zero-parent-bits", "mainnet", 101, main_genesis + 240 * 101, chain("mainnet", 100, steady(240), const(0)))
    add("mainnet-zero-parent-bits-long-gap", "mainnet", 8001, main_genesis + 240 * 8000 + 50000,
        chain("mainnet", 8000, steady(240), const(0)))
    # No EDA before 7,034, even after a day.
    add("mainnet-no-eda-before-7034", "mainnet", 7033, main_genesis + 240 * 7032 + 86400, chain("mainnet", 7032, steady(240), const(0x1E00F000)))

    # 2016-block retargets (clamp 4, raw encoding), many timespans and parent bits.
    for h in (2016, 4032, 6048, 16128, 18144):
        for label, span in (("planned", 2016 * 240), ("half", 1008 * 240), ("double", 4032 * 240),
                            ("tenfold", 20160 * 240), ("tenth", 201 * 240), ("one-second", 1), ("zero", 0),
                            ("negative", -5000), ("odd", 2016 * 240 + 12345)):
            for bits in (main_bits, 0x1D00FFFF, 0x1F0FFFFF, 0x1E7FFF00, 0x1D7FFFFF, 0x1C654321):
                first = h - 2016
                start = main_genesis
                times = lambda x, first=first, span=span, h=h: start + 240 * x if x <= first else start + 240 * first + (span * (x - first)) // (h - 1 - first)
                add(f"mainnet-retarget-{h}-{label}-{bits:08x}", "mainnet", h, times(h - 1) + 240,
                    chain("mainnet", h - 1, times, const(bits)))

    # EDA from 7,034: threshold and step 6 spacings (1,440 s), 5/4 per step, at most 20 steps.
    for h in (7034, 7035, 9000, 18499):
        for gap in (-100, 0, 1439, 1440, 1441, 2879, 2880, 2881, 4321, 30000, 1440 * 19, 1440 * 20 + 1, 10 ** 6):
            for bits in (main_bits, 0x1E7FFF00, 0x1D00FFFF, 0x1F0A0000, 0x1D6D0000):
                parent_time = main_genesis + 240 * (h - 1)
                add(f"mainnet-eda-{h}-gap{gap}-{bits:08x}", "mainnet", h, parent_time + gap,
                    chain("mainnet", h - 1, steady(240), const(bits)))
    # A zero time never triggers EDA; a retarget height never does either.
    add("mainnet-eda-zero-time", "mainnet", 7100, 0, chain("mainnet", 7099, steady(240), const(main_bits)))
    add("mainnet-eda-not-at-retarget", "mainnet", 8064, main_genesis + 240 * 8063 + 50000,
        chain("mainnet", 8063, steady(240), const(main_bits)))

    # 18,500: 360-block interval, clamp 2, compact fix (retarget: bound, then fix; EDA: fix, then bound).
    for h in (18500, 18501, 18719, 20159, 20519):
        for gap in (240, 1441, 3000):
            for bits in (0x1E7FFF00, 0x1D7FFFFF, main_bits):
                parent_time = main_genesis + 240 * (h - 1)
                add(f"mainnet-v2-{h}-gap{gap}-{bits:08x}", "mainnet", h, parent_time + gap,
                    chain("mainnet", h - 1, steady(240), const(bits)))
    for h in (18720, 19080, 20160, 20520, 20880, 22680):
        for label, factor in (("planned", 1.0), ("third", 1 / 3), ("triple", 3.0), ("fivefold", 5.0), ("sixth", 1 / 6)):
            for bits in (0x1E7FFF00, 0x1D7FFFFF, 0x1E00FFFF, 0x1F0FFFFF, 0x1D00FFFF):
                first = h - 360
                span = int(360 * 240 * factor)
                times = lambda x, first=first, span=span, h=h: main_genesis + 240 * x if x <= first else main_genesis + 240 * first + (span * (x - first)) // (h - 1 - first)
                add(f"mainnet-v2-retarget-{h}-{label}-{bits:08x}", "mainnet", h, times(h - 1) + 240,
                    chain("mainnet", h - 1, times, const(bits)))
    # 20,520 on: EDA threshold and step 15 spacings (3,600 s).
    for h in (20521, 21000, 23039):
        for gap in (3599, 3600, 3601, 7200, 7201, 3600 * 21, 10 ** 7):
            for bits in (0x1E7FFF00, 0x1D00FFFF, main_bits):
                parent_time = main_genesis + 240 * (h - 1)
                add(f"mainnet-v3-eda-{h}-gap{gap}-{bits:08x}", "mainnet", h, parent_time + gap,
                    chain("mainnet", h - 1, steady(240), const(bits)))

    # ASERT from 23,040 (anchor 23,039) and re-anchored from 24,500 (anchor 24,499).
    for h, anchor in ((23040, 23039), (23041, 23039), (23500, 23039), (24499, 23039), (24500, 24499),
                      (24501, 24499), (30000, 24499), (44001, 24499), (60000, 24499)):
        for drift in (0, 1, -1, 239, 240, -240, 34560, -34560, 34559, 100000, -100000, 34560 * 8 + 17,
                      -34560 * 9 - 5, 34560 * 300, -34560 * 300, 2 ** 31, -(2 ** 31)):
            for anchor_bits in (0x1E01FFFE, 0x1D00FFFF, 0x1F0FFFFF, 0x1E7FFF00, 0x1B0404CB):
                anchor_time = 1771000000
                if h - 1 == anchor:  # the parent is the anchor: no drift possible
                    if drift != 0:
                        continue
                    headers = {anchor: (anchor_time, anchor_bits)}
                    add(f"mainnet-asert-{h}-parent-is-anchor-{anchor_bits:08x}", "mainnet", h, anchor_time + 240, headers)
                    continue
                parent_time = anchor_time + 240 * (h - 1 - anchor) + drift
                if not 0 <= parent_time < 2 ** 32:
                    continue
                headers = {anchor: (anchor_time, anchor_bits), h - 1: (parent_time, rng.choice((0x1C123456, 0x1E01FFFE)))}
                add(f"mainnet-asert-{h}-drift{drift}-{anchor_bits:08x}", "mainnet", h, parent_time + 240, headers)

    # Testnet: its genesis and the EDA of block 1 (the real testnet's 0x1d56bc1f), then the
    # 360-block retarget (clamp 4, fixed encoding) and the 15-minute EDA from genesis.
    test_genesis = 1774656000
    add("testnet-block-1-real", "testnet", 1, 1795549045, {0: (test_genesis, 0x1D00FFFF)})
    add("testnet-block-2-real", "testnet", 2, 1795549465, {0: (test_genesis, 0x1D00FFFF), 1: (1795549045, 0x1D56BC1F)})
    for h in (1, 2, 359, 361, 1000):
        for gap in (0, 899, 900, 901, 1800, 1801, 900 * 21, 10 ** 7):
            for bits in (0x1D00FFFF, 0x1D56BC1F, 0x1E7FFF00, 0x1F0FFFFF):
                add(f"testnet-eda-{h}-gap{gap}-{bits:08x}", "testnet", h, test_genesis + 60 * (h - 1) + gap,
                    chain("testnet", h - 1, steady(60, test_genesis), const(bits)))
    for h in (360, 720, 3600):
        for label, factor in (("planned", 1.0), ("half", 0.5), ("triple", 3.0), ("fivefold", 5.0), ("fifth", 0.2)):
            for bits in (0x1D00FFFF, 0x1D56BC1F, 0x1E7FFF00, 0x1F0FFFFF):
                first = h - 360
                span = int(360 * 60 * factor)
                times = lambda x, first=first, span=span, h=h: test_genesis + 60 * x if x <= first else test_genesis + 60 * first + (span * (x - first)) // (h - 1 - first)
                add(f"testnet-retarget-{h}-{label}-{bits:08x}", "testnet", h, times(h - 1) + 60,
                    chain("testnet", h - 1, times, const(bits)))

    # DilV: the genesis bits at every height, whatever the branch.
    for h in (1, 360, 2016, 44470):
        add(f"dilv-fixed-{h}", "dilv", h, 1774656000 + 45 * h + 99999, {})

    out = sys.stdout
    for name, network, height, time, expected, ancestors in CASES:
        out.write(f"case {name} {network} {height} {time} {expected:08x}\n")
        for h, (t, b) in ancestors.items():
            out.write(f"ancestor {h} {t} {b:08x}\n")
        out.write("end\n")


if __name__ == "__main__":
    main()
