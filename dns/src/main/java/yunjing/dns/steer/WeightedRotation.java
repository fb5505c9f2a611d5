package yunjing.dns.steer;

import yunjing.dns.DnsTarget;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Spreads answers over targets in proportion to their weights, deterministically.
 *
 * <p>For a candidate set it lays out a wheel with one slot per unit of weight (weights divided by
 * their gcd), ordered by nginx's smooth weighted round robin so heavy targets are interleaved rather
 * than bunched. Each query starts one slot further round the wheel and walks on collecting distinct
 * targets, so the <em>first</em> address (the one most clients use) follows the weights exactly
 * over a full turn, and the rest of the answer gives clients somewhere to fail over to.
 *
 * <p>Thread-safe and lock-free: the position is an {@link AtomicLong}; the wheel is an immutable
 * object rebuilt only when the candidate set changes (health flips), and a racing rebuild just
 * builds the same wheel twice.
 */
final class WeightedRotation {

    private final AtomicLong position = new AtomicLong();
    private volatile Wheel wheel;

    List<DnsTarget> pick(List<DnsTarget> candidates, int max) {
        if (candidates.isEmpty() || max <= 0) {
            return List.of();
        }
        Wheel w = wheel;
        if (w == null || !w.candidates.equals(candidates)) {
            w = new Wheel(List.copyOf(candidates));
            wheel = w;
        }
        int want = Math.min(max, w.candidates.size());
        int start = (int) Math.floorMod(position.getAndIncrement(), (long) w.slots.length);
        List<DnsTarget> picked = new ArrayList<>(want);
        boolean[] taken = new boolean[w.candidates.size()];
        for (int i = 0; i < w.slots.length && picked.size() < want; i++) {
            int target = w.slots[(start + i) % w.slots.length];
            if (!taken[target]) {
                taken[target] = true;
                picked.add(w.candidates.get(target));
            }
        }
        return picked;
    }

    private static final class Wheel {
        final List<DnsTarget> candidates;
        final int[] slots;

        Wheel(List<DnsTarget> candidates) {
            this.candidates = candidates;
            int gcd = 0;
            for (DnsTarget t : candidates) {
                gcd = gcd(gcd, t.weight());
            }
            int[] weights = new int[candidates.size()];
            int total = 0;
            for (int i = 0; i < weights.length; i++) {
                weights[i] = candidates.get(i).weight() / gcd;
                total = Math.addExact(total, weights[i]);
            }
            slots = new int[total];
            int[] current = new int[weights.length];
            for (int s = 0; s < total; s++) {
                int best = 0;
                for (int i = 0; i < weights.length; i++) {
                    current[i] += weights[i];
                    if (current[i] > current[best]) {
                        best = i;
                    }
                }
                current[best] -= total;
                slots[s] = best;
            }
        }

        private static int gcd(int a, int b) {
            while (b != 0) {
                int r = a % b;
                a = b;
                b = r;
            }
            return a;
        }
    }
}
