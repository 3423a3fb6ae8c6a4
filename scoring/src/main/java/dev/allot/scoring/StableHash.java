package dev.allot.scoring;

/**
 * A stable hash of strings to [0, 1): FNV-1a with a 64-bit finaliser. The same ids land in the same place in
 * every JVM and every release, which sticky user groups, user splits and household splits rely on.
 */
public final class StableHash {

    private StableHash() {
    }

    /** {@code parts} are hashed with a separator between them, so ("ab", "c") and ("a", "bc") differ. */
    public static double unit(long seed, String... parts) {
        return (of(seed, parts) >>> 11) * 0x1.0p-53;
    }

    /** The 64-bit hash {@link #unit} maps to [0, 1). */
    public static long of(long seed, String... parts) {
        long h = 0xcbf29ce484222325L ^ seed * 0x9E3779B97F4A7C15L;
        for (String part : parts) {
            for (int i = 0; i < part.length(); i++) {
                h = (h ^ part.charAt(i)) * 0x100000001b3L;
            }
            h = (h ^ 0x1f) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
