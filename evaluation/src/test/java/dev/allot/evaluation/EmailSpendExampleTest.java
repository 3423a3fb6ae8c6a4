package dev.allot.evaluation;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The worked continuous-outcome example of {@code docs/real-data.md}, {@code docs/data/email-spend.csv.gz}: an
 * e-mail experiment shaped like the public MineThatData one (customers randomized in thirds to no e-mail, a men's
 * e-mail or a women's e-mail; two weeks of spend), generated here with a known truth, which the file carries as
 * each customer's expected spend under each arm ({@code expected_*}, never a feature) so an evaluation can be
 * checked against it. This test proves the shipped file is what this generator writes;
 * {@code -Dexamples.write=true} rewrites it.
 */
class EmailSpendExampleTest {

    static final Path SHIPPED = Path.of("..", "docs", "data", "email-spend.csv.gz");
    static final String[] ARMS = {"No E-Mail", "Mens E-Mail", "Womens E-Mail"};
    static final String[] CHANNELS = {"Phone", "Web", "Multichannel"};
    static final String[] ZIPS = {"Urban", "Suburban", "Rural"};

    @Test
    void theShippedEmailExperimentIsWhatTheGeneratorWrites() throws IOException {
        String generated = generate(20_000, 2008);
        if (Boolean.getBoolean("examples.write")) {
            Files.createDirectories(SHIPPED.getParent());
            try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(SHIPPED))) {
                out.write(generated.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(SHIPPED))) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(generated);
        }
    }

    /**
     * Buying in the two weeks is a logistic function of recency, past spend and channel; the men's e-mail lifts it
     * for customers who bought men's merchandise (more for recent ones), the women's e-mail for those who bought
     * women's (not for newcomers); the amount spent, when buying, grows with past spend and is lognormal.
     */
    static String generate(int customers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder csv = new StringBuilder("customer,recency,history,mens,womens,newbie,channel,zip,segment,spend,"
                + "expected_no_email,expected_mens,expected_womens\n");
        for (int c = 1; c <= customers; c++) {
            int recency = 1 + random.nextInt(12);
            double history = Math.round(Math.exp(4.6 + 0.8 * random.nextGaussian()) * 100) / 100.0;
            int mens = random.nextDouble() < 0.55 ? 1 : 0;
            int womens = mens == 0 || random.nextDouble() < 0.45 ? 1 : 0;
            int newbie = random.nextDouble() < 0.5 ? 1 : 0;
            String channel = CHANNELS[random.nextDouble() < 0.45 ? 0 : random.nextDouble() < 0.8 ? 1 : 2];
            String zip = ZIPS[random.nextDouble() < 0.4 ? 0 : random.nextDouble() < 0.75 ? 1 : 2];
            double base = -2.6 + 0.35 * Math.log(history / 100) - 0.07 * (recency - 6)
                    + (channel.equals("Web") ? 0.15 : 0);
            double[] lift = {0, mens * (0.55 + (recency <= 3 ? 0.35 : 0)), womens * (newbie == 1 ? 0.05 : 0.6)};
            double amount = 60 + 0.25 * history;
            double[] expected = new double[3];
            for (int a = 0; a < 3; a++) {
                expected[a] = amount / (1 + Math.exp(-(base + lift[a])));
            }
            int arm = random.nextInt(3);
            boolean buys = random.nextDouble() < expected[arm] / amount;
            // Lognormal with mean `amount`: exp(N(mu, 0.5^2)) has mean exp(mu + 0.125).
            double spend = buys ? Math.exp(Math.log(amount) - 0.125 + 0.5 * random.nextGaussian()) : 0;
            csv.append(String.format(Locale.ROOT, "%d,%d,%.2f,%d,%d,%d,%s,%s,%s,%.2f,%.4f,%.4f,%.4f\n", c, recency,
                    history, mens, womens, newbie, channel, zip, ARMS[arm], spend, expected[0], expected[1],
                    expected[2]));
        }
        return csv.toString();
    }
}
