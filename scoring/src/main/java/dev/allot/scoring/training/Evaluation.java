package dev.allot.scoring.training;

import dev.allot.scoring.ModelCard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Validation metrics of a conversion model: ranking, probability quality and calibration. */
public final class Evaluation {

    private Evaluation() {
    }

    /** Area under the ROC curve, with tied predictions counted as half (Mann-Whitney). */
    public static double auc(double[] predicted, float[] label) {
        int n = predicted.length;
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> predicted[i]));
        double rankSumPositive = 0;
        long positives = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && predicted[order[j + 1]] == predicted[order[i]]) {
                j++;
            }
            double averageRank = (i + j) / 2.0 + 1;
            for (int q = i; q <= j; q++) {
                if (label[order[q]] > 0.5f) {
                    rankSumPositive += averageRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    public static double logLoss(double[] predicted, float[] label) {
        double sum = 0;
        for (int i = 0; i < predicted.length; i++) {
            double p = Math.min(1 - 1e-15, Math.max(1e-15, predicted[i]));
            sum -= label[i] > 0.5f ? Math.log(p) : Math.log(1 - p);
        }
        return sum / predicted.length;
    }

    /** Predicted over observed conversions: 1 is calibrated in aggregate. */
    public static double pcoc(double[] predicted, float[] label) {
        double p = 0;
        double o = 0;
        for (int i = 0; i < predicted.length; i++) {
            p += predicted[i];
            o += label[i];
        }
        return o == 0 ? Double.NaN : p / o;
    }

    /** Rows split into ten equal groups by prediction: mean predicted against observed rate in each. */
    public static List<ModelCard.CalibrationBin> deciles(double[] predicted, float[] label) {
        int n = predicted.length;
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> predicted[i]));
        List<ModelCard.CalibrationBin> bins = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            int from = (int) ((long) n * d / 10);
            int to = (int) ((long) n * (d + 1) / 10);
            double p = 0;
            double o = 0;
            for (int q = from; q < to; q++) {
                p += predicted[order[q]];
                o += label[order[q]];
            }
            int rows = to - from;
            bins.add(new ModelCard.CalibrationBin(d + 1, rows, rows == 0 ? 0 : p / rows, rows == 0 ? 0 : o / rows));
        }
        return bins;
    }
}
