#!/usr/bin/env python3
"""Test data for deploy/bench/sync-vs-rsync.sh.

usage: make-data.py OLD_FILE NEW_FILE SIZE_MIB CHANGES CHANGE_KIB SEED
       make-data.py --mutate FROM_FILE NEW_FILE CHANGES CHANGE_KIB SEED
OLD_FILE: SIZE_MIB of seeded pseudo-random bytes. NEW_FILE: a copy with CHANGES regions of
CHANGE_KIB overwritten by other random bytes, one in each of CHANGES equal slices of the file at
a seeded random offset (scattered, never overlapping). With --mutate, NEW_FILE is FROM_FILE changed
the same way (a next version with a delta of the same size). Prints the change offsets' count.
"""
import os
import random
import shutil
import sys


def mutate(path, changes, change_kib, rng):
    size = os.path.getsize(path)
    change = change_kib << 10
    slice_size = size // changes
    with open(path, "r+b") as f:
        for i in range(changes):
            offset = i * slice_size + rng.randrange(0, slice_size - change)
            f.seek(offset)
            f.write(rng.randbytes(change))


if sys.argv[1] == "--mutate":
    source, new, changes, change_kib, seed = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    shutil.copyfile(source, new)
    mutate(new, changes, change_kib, random.Random(seed))
    print(changes)
    sys.exit(0)

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
mutate(new, changes, change_kib, rng)
print(changes)
