package dev.allot.engine;

/**
 * Every ladder level of one decision, as the engine saw it: coupon and price, the model's raw and calibrated
 * purchase probability, the objective value and budget cost, and whether the rules allowed it. Arrays are
 * indexed by level and never modified after the decision.
 *
 * @param worth what a conversion at each level was predicted to bring in (a value model's), which the objective
 *              counted instead of the price; null without a value model
 */
public record Levels(double[] coupons, double[] prices, double[] raw, double[] calibrated, double[] values,
                     double[] costs, boolean[] allowed, double[] worth) {

    public Levels {
        int k = coupons.length;
        if (prices.length != k || raw.length != k || calibrated.length != k || values.length != k
                || costs.length != k || allowed.length != k || worth != null && worth.length != k) {
            throw new IllegalArgumentException("every level array must have " + k + " entries");
        }
    }

    public Levels(double[] coupons, double[] prices, double[] raw, double[] calibrated, double[] values,
                  double[] costs, boolean[] allowed) {
        this(coupons, prices, raw, calibrated, values, costs, allowed, null);
    }

    public int size() {
        return coupons.length;
    }

    /** Allowed levels as a mask string, lowest level first: {@code "110"}. */
    public String allowedMask() {
        StringBuilder sb = new StringBuilder(allowed.length);
        for (boolean a : allowed) {
            sb.append(a ? '1' : '0');
        }
        return sb.toString();
    }

    public static boolean[] parseMask(String mask) {
        boolean[] allowed = new boolean[mask.length()];
        for (int j = 0; j < allowed.length; j++) {
            char c = mask.charAt(j);
            if (c != '0' && c != '1') {
                throw new IllegalArgumentException("allowed mask must be 0s and 1s, got '" + mask + "'");
            }
            allowed[j] = c == '1';
        }
        return allowed;
    }
}
