package dev.allot.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line plot as SVG: series of (x, y, low, high) drawn as a line over a shaded interval band, straight lines,
 * axes with round ticks, a legend. Written directly rather than through a charting library: the text is left
 * for the viewer to render, so no fonts are needed where the report is made (a headless CI machine has none),
 * and the file stays a few kilobytes that diff well.
 */
final class Plot {

    private static final int WIDTH = 720;
    /** The plotting area's height; the picture grows below it with the legend. */
    private static final int AREA = 290;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;

    private record Series(String name, String colour, List<double[]> points, boolean band) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();

    Plot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Points of (x, y, low, high), drawn with their band. */
    void series(String name, String colour, List<double[]> points) {
        series.add(new Series(name, colour, points, true));
    }

    /** Points of (x, y), dashed, no band. */
    void line(String name, String colour, List<double[]> points) {
        series.add(new Series(name, colour, points, false));
    }

    String svg() {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double[] p : s.points()) {
                xMin = Math.min(xMin, p[0]);
                xMax = Math.max(xMax, p[0]);
                for (int q = 1; q < (s.band() ? 4 : 2); q++) {
                    if (Double.isFinite(p[q])) {
                        yMin = Math.min(yMin, p[q]);
                        yMax = Math.max(yMax, p[q]);
                    }
                }
            }
        }
        if (!(xMax > xMin)) {
            xMax = xMin + 1;
        }
        if (!(yMax > yMin)) {
            yMax = yMin + 1;
        }
        double[] yTicks = ticks(yMin, yMax);
        double[] xTicks = ticks(xMin, xMax);
        Scale x = new Scale(Math.min(xMin, xTicks[0]), Math.max(xMax, xTicks[xTicks.length - 1]), LEFT, WIDTH - RIGHT);
        int areaBottom = TOP + AREA;
        int height = areaBottom + 56 + 16 * series.size();
        Scale y = new Scale(Math.min(yMin, yTicks[0]), Math.max(yMax, yTicks[yTicks.length - 1]), areaBottom, TOP);

        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(text(WIDTH / 2.0, 22, title, "middle", 14));
        for (double t : yTicks) {
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n",
                    LEFT, WIDTH - RIGHT, y.at(t), y.at(t)));
            svg.append(text(LEFT - 6, y.at(t) + 4, label(t, yTicks), "end", 11));
        }
        for (double t : xTicks) {
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#e5e5e5\"/>%n",
                    x.at(t), x.at(t), TOP, areaBottom));
            svg.append(text(x.at(t), areaBottom + 16, label(t, xTicks), "middle", 11));
        }
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                + " stroke=\"#333\"/>%n", LEFT, TOP, WIDTH - RIGHT - LEFT, areaBottom - TOP));
        svg.append(text((LEFT + WIDTH - RIGHT) / 2.0, areaBottom + 36, xLabel, "middle", 12));
        svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90"
                + " 16 %.1f)\">%s</text>%n", (TOP + areaBottom) / 2.0, (TOP + areaBottom) / 2.0,
                escape(yLabel)));
        int legendY = areaBottom + 56;
        for (Series s : series) {
            if (s.band()) {
                StringBuilder band = new StringBuilder();
                for (double[] p : s.points()) {
                    band.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p[0]), y.at(p[3])));
                }
                for (int q = s.points().size() - 1; q >= 0; q--) {
                    double[] p = s.points().get(q);
                    band.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p[0]), y.at(p[2])));
                }
                svg.append("<polygon points=\"").append(band.toString().strip()).append("\" fill=\"")
                        .append(s.colour()).append("\" fill-opacity=\"0.15\" stroke=\"none\"/>\n");
            }
            StringBuilder line = new StringBuilder();
            for (double[] p : s.points()) {
                line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(p[0]), y.at(p[1])));
            }
            svg.append("<polyline points=\"").append(line.toString().strip()).append("\" fill=\"none\" stroke=\"")
                    .append(s.colour()).append("\" stroke-width=\"2\"").append(s.band() ? "" : " stroke-dasharray=\"6 4\"")
                    .append("/>\n");
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"2\"%s/>%n", LEFT, LEFT + 24, legendY - 4, legendY - 4, s.colour(),
                    s.band() ? "" : " stroke-dasharray=\"6 4\""));
            svg.append(text(LEFT + 30, legendY, s.name(), "start", 11));
            legendY += 16;
        }
        return svg.append("</svg>\n").toString();
    }

    private record Scale(double from, double to, double pixelFrom, double pixelTo) {
        double at(double v) {
            return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
        }
    }

    /** About five round ticks covering [low, high]. */
    static double[] ticks(double low, double high) {
        double raw = (high - low) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = magnitude;
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= raw) {
                step = m * magnitude;
                break;
            }
        }
        double first = Math.floor(low / step) * step;
        int count = (int) Math.ceil((high - first) / step - 1e-9) + 1;
        double[] ticks = new double[count];
        for (int i = 0; i < count; i++) {
            ticks[i] = first + i * step;
        }
        return ticks;
    }

    private static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.max(0, new java.math.BigDecimal(step).round(new java.math.MathContext(3))
                .stripTrailingZeros().scale());
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String text(double x, double y, String text, String anchor, int size) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                x, y, anchor, size, escape(text));
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
