#!/usr/bin/env python3
"""Test data for deploy/bench/sync-vs-rsync.sh.

usage: make-data.py OLD_FILE NEW_FILE SIZE_MIB CHANGES CHANGE_KIB SEED
OLD_FILE: SIZE_MIB of seeded pseudo-random bytes. NEW_FILE: a copy with CHANGES regions of
CHANGE_KIB overwritten by other random bytes, one in each of CHANGES equal slices of the file at
a seeded random offset (scattered, never overlapping). Prints the change offsets' count.
"""
import random
import shutil
import sys

old, new, size_mib, changes, change_kib, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = random.Random(seed)
size = size_mib << 20
with open(old, "wb") as f:
    left = size
    while left:
        n = min(left, 1 << 20)
        f.write(rng.randbytes(n))
        left -= n
shutil.copyfile(old, new)
change = change_kib << 10
slice_size = size // changes
with open(new, "r+b") as f:
    for i in range(changes):
        offset = i * slice_size + rng.randrange(0, slice_size - change)
        f.seek(offset)
        f.write(rng.randbytes(change))
print(changes)
