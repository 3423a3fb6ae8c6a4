package dev.allot.simulator;

import java.util.List;
import java.util.Locale;

/** Small, dependency-free SVG charts for the reports: lines over a day, and grouped bars. */
final class Svg {

    record Series(String name, double[] x, double[] y, String color, boolean rightAxis) {
    }

    private static final int W = 760;
    private static final int H = 380;
    private static final int L = 70;
    private static final int R = 70;
    private static final int T = 40;
    private static final int B = 50;

    private Svg() {
    }

    static String lines(String title, String xLabel, String leftLabel, String rightLabel, List<Series> series,
                        double reference, String referenceLabel) {
        double xMin = Double.MAX_VALUE;
        double xMax = -Double.MAX_VALUE;
        double[] yl = {Double.MAX_VALUE, -Double.MAX_VALUE};
        double[] yr = {Double.MAX_VALUE, -Double.MAX_VALUE};
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isNaN(s.y()[i])) {
                    continue;
                }
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                double[] range = s.rightAxis() ? yr : yl;
                range[0] = Math.min(range[0], s.y()[i]);
                range[1] = Math.max(range[1], s.y()[i]);
            }
        }
        if (!Double.isNaN(reference)) {
            yl[0] = Math.min(yl[0], reference);
            yl[1] = Math.max(yl[1], reference);
        }
        pad(yl);
        pad(yr);
        StringBuilder svg = header(title);
        axes(svg, xLabel, leftLabel, rightLabel, xMin, xMax, yl, yr);
        if (!Double.isNaN(reference)) {
            double y = sy(reference, yl);
            svg.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#888' "
                    + "stroke-dasharray='6,4'/><text x='%d' y='%.1f' font-size='11' fill='#555'>%s</text>%n",
                    L, y, W - R, y, L + 6, y - 4, referenceLabel));
        }
        int legend = 0;
        for (Series s : series) {
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isNaN(s.y()[i])) {
                    continue;
                }
                path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f,%.1f ",
                        sx(s.x()[i], xMin, xMax), sy(s.y()[i], s.rightAxis() ? yr : yl)));
            }
            svg.append(String.format(Locale.ROOT, "<path d='%s' fill='none' stroke='%s' stroke-width='2'%s/>%n",
                    path, s.color(), s.rightAxis() ? " stroke-dasharray='3,2'" : ""));
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='14' height='3' fill='%s'/>"
                    + "<text x='%d' y='%d' font-size='12'>%s</text>%n", L + 10, T + 10 + legend * 16, s.color(),
                    L + 28, T + 14 + legend * 16, s.name()));
            legend++;
        }
        return svg.append("</svg>\n").toString();
    }

    static String bars(String title, String yLabel, List<String> groups, List<String> categories, double[][] values,
                       String[] colors) {
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                max = Math.max(max, v);
            }
        }
        double[] y = {0, max * 1.1};
        StringBuilder svg = header(title);
        axes(svg, "", yLabel, null, 0, 1, y, null);
        double groupWidth = (W - L - R) / (double) groups.size();
        double barWidth = groupWidth * 0.8 / categories.size();
        for (int g = 0; g < groups.size(); g++) {
            double x0 = L + g * groupWidth + groupWidth * 0.1;
            for (int c = 0; c < categories.size(); c++) {
                double top = sy(values[g][c], y);
                svg.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>%n",
                        x0 + c * barWidth, top, barWidth * 0.95, H - B - top, colors[c % colors.length]));
            }
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s</text>%n",
                    x0 + groupWidth * 0.4, H - B + 16, groups.get(g)));
        }
        for (int c = 0; c < categories.size(); c++) {
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='12' fill='%s'/>"
                    + "<text x='%d' y='%d' font-size='12'>%s</text>%n", W - R - 110, T + c * 16, colors[c % colors.length],
                    W - R - 94, T + 10 + c * 16, categories.get(c)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static StringBuilder header(String title) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif'>%n<rect width='100%%' height='100%%' fill='white'/>%n"
                + "<text x='%d' y='22' font-size='15' font-weight='bold'>%s</text>%n", W, H, L, title));
        return svg;
    }

    private static void axes(StringBuilder svg, String xLabel, String leftLabel, String rightLabel, double xMin,
                             double xMax, double[] yl, double[] yr) {
        svg.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", L, H - B, W - R,
                H - B));
        svg.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", L, T, L, H - B));
        for (int t = 0; t <= 4; t++) {
            double v = yl[0] + (yl[1] - yl[0]) * t / 4;
            double y = sy(v, yl);
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%s</text>%n",
                    L - 6, y + 4, fmt(v)));
            if (yr != null && rightLabel != null && yr[1] > yr[0]) {
                double vr = yr[0] + (yr[1] - yr[0]) * t / 4;
                svg.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' font-size='11'>%s</text>%n", W - R + 6,
                        y + 4, fmt(vr)));
            }
        }
        if (xMax > xMin && !xLabel.isEmpty()) {
            for (int t = 0; t <= 6; t++) {
                double v = xMin + (xMax - xMin) * t / 6;
                svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s</text>%n",
                        sx(v, xMin, xMax), H - B + 16, fmt(v)));
            }
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>%n",
                    (L + W - R) / 2, H - 10, xLabel));
        }
        svg.append(String.format(Locale.ROOT, "<text x='16' y='%d' font-size='12' transform='rotate(-90 16 %d)' "
                + "text-anchor='middle'>%s</text>%n", (T + H - B) / 2, (T + H - B) / 2, leftLabel));
        if (rightLabel != null) {
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' transform='rotate(90 %d %d)' "
                    + "text-anchor='middle'>%s</text>%n", W - 14, (T + H - B) / 2, W - 14, (T + H - B) / 2, rightLabel));
        }
    }

    private static void pad(double[] range) {
        if (range[0] > range[1]) {
            range[0] = 0;
            range[1] = 1;
        }
        double pad = Math.max(1e-9, (range[1] - range[0]) * 0.08);
        range[0] -= pad;
        range[1] += pad;
    }

    private static double sx(double x, double min, double max) {
        return L + (x - min) / (max - min) * (W - L - R);
    }

    private static double sy(double y, double[] range) {
        return H - B - (y - range[0]) / (range[1] - range[0]) * (H - T - B);
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
