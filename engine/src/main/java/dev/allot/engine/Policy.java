package dev.allot.engine;

import dev.allot.control.LambdaArgmax;
import dev.allot.engine.config.CityConfig;
import dev.allot.scoring.StableHash;

/**
 * The choice step of the decision path: given every level's value and cost and what the rules allow, which
 * level to offer. The service uses {@link #BY_GROUP}; the simulator runs its other strategies through the same
 * engine with their own step (a level planned a day ahead, a uniformly random level).
 */
@FunctionalInterface
public interface Policy {

    /** The level chosen ({@link LambdaArgmax#NONE} when nothing is allowed), its group and propensity. */
    record Choice(Group group, int level, double propensity) {
    }

    Choice choose(CityConfig config, String userId, String decisionId, double[] values, double[] costs,
                  boolean[] allowed, double lambda);

    /**
     * The service's policy: the user's sticky group, then the λ-argmax (optimized), a uniformly random allowed
     * level drawn from a hash of the decision id (exploration), or the city's default level (holdout).
     */
    Policy BY_GROUP = (config, userId, decisionId, values, costs, allowed, lambda) -> {
        Group group = Group.of(config.city(), userId, config.explorationShare(), config.holdoutShare());
        return switch (group) {
            case EXPLORATION -> explore(decisionId, allowed);
            case HOLDOUT -> new Choice(group, nearestAllowed(allowed, config.holdoutLevel()), 1);
            default -> new Choice(group, LambdaArgmax.choose(values, costs, allowed, lambda), 1);
        };
    };

    /** A uniformly random allowed level for everyone. */
    Policy EXPLORE = (config, userId, decisionId, values, costs, allowed, lambda) -> explore(decisionId, allowed);

    /** A level fixed ahead of time (a segment rule, an offline plan), moved to the nearest level the rules allow. */
    static Policy planned(int level) {
        return (config, userId, decisionId, values, costs, allowed, lambda) ->
                new Choice(Group.PLANNED, nearestAllowed(allowed, level), 1);
    }

    /** Seed of the exploration draw's hash, distinct from the group hash's. */
    long EXPLORATION_SEED = 0x5eed_e4b1L;

    private static Choice explore(String decisionId, boolean[] allowed) {
        int n = 0;
        for (boolean a : allowed) {
            n += a ? 1 : 0;
        }
        if (n == 0) {
            return new Choice(Group.EXPLORATION, LambdaArgmax.NONE, 1);
        }
        int pick = (int) (StableHash.unit(EXPLORATION_SEED, decisionId) * n);
        for (int j = 0, seen = 0; j < allowed.length; j++) {
            if (allowed[j] && seen++ == pick) {
                return new Choice(Group.EXPLORATION, j, 1.0 / n);
            }
        }
        throw new IllegalStateException("fewer than " + (pick + 1) + " allowed levels");
    }

    /** {@code preferred} if allowed, else the nearest allowed level below it, else above it. */
    static int nearestAllowed(boolean[] allowed, int preferred) {
        for (int j = Math.min(preferred, allowed.length - 1); j >= 0; j--) {
            if (allowed[j]) {
                return j;
            }
        }
        for (int j = preferred + 1; j < allowed.length; j++) {
            if (allowed[j]) {
                return j;
            }
        }
        return LambdaArgmax.NONE;
    }
}
