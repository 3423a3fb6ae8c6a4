package dev.allot.engine;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import dev.allot.rules.Reason;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RecordJson} against the Jackson generator it replaced, kept here as the reference: the same bytes for
 * records with every field shape, escapes, non-ASCII text, surrogate pairs, missing values and NaN levels.
 */
class RecordJsonTest {

    @Test
    void writesJacksonsBytesForEveryShapeOfRecord() throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 2_000; i++) {
            DecisionRecord r = record(random, i);
            byte[] expected = Json.MAPPER.writeValueAsBytes(new JacksonWriter(r));
            byte[] actual = DecisionCodec.toJsonBytes(r);
            int at = java.util.Arrays.mismatch(actual, expected);
            assertThat(at).as("record %s first differs at %s: ours %s, Jackson's %s", i, at,
                    context(actual, at), context(expected, at)).isEqualTo(-1);
            assertThat(DecisionCodec.toJsonBytes(r)).isEqualTo(expected);
        }
    }

    @Test
    void writesALoneSurrogateEscapedSoItReadsBackAsItWas() {
        DecisionRecord r = record(new SplittableRandom(1), 0);
        DecisionRecord lone = new DecisionRecord(r.format(), r.decisionId(), r.requestId(), r.city(), r.day(),
                r.timestampMillis(), r.clientTimestamp(), "user\uD800x", r.segment(), r.features(), r.attributes(),
                r.campaigns(), r.context(), r.levels(), r.group(), r.propensity(), r.lambda(), r.level(), r.coupon(),
                r.price(), r.reasons(), r.modelVersion(), r.rulesVersion());
        assertThat(DecisionCodec.fromJson(DecisionCodec.toJson(lone)).userId()).isEqualTo("user\uD800x");
    }

    static String context(byte[] bytes, int at) {
        if (at < 0) {
            return "";
        }
        int from = Math.max(0, at - 20);
        int to = Math.min(bytes.length, at + 20);
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(String.format("%02x ", bytes[i] & 0xff));
        }
        return sb + "| " + new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    private static final String[] TEXT = {"plain", "with \"quotes\"", "back\\slash", "tab\tnew\nline\r", "bell\u0007",
            "null\u0000", "del\u007f", "caf\u00e9", "\u4e0a\u6d77", "emoji \ud83d\ude00", "slash/ok", "\u2028line", ""};

    /** Whole doubles at the edges of plain notation (10^7 is where Schubfach's scientific notation begins). */
    static final double[] WHOLE = {0.0, -0.0, -5.0, 9_999_999.0, -9_999_999.0, 10_000_000.0, -10_000_000.0,
            123_456_789.0, 1e15, 1e300, -1e19, 4.5e15, Long.MAX_VALUE, (double) Long.MIN_VALUE, 1.0, 10.0};

    static String text(SplittableRandom random) {
        return TEXT[random.nextInt(TEXT.length)] + (random.nextBoolean() ? "" : random.nextInt(1000));
    }

    static DecisionRecord record(SplittableRandom random, int i) {
        int k = 1 + random.nextInt(6);
        double[] coupons = new double[k];
        double[] prices = new double[k];
        double[] raw = new double[k];
        double[] calibrated = new double[k];
        double[] values = new double[k];
        double[] costs = new double[k];
        boolean[] allowed = new boolean[k];
        boolean format0 = random.nextInt(10) == 0;
        for (int j = 0; j < k; j++) {
            coupons[j] = format0 ? Double.NaN : 2 * j;
            prices[j] = format0 ? Double.NaN : 18 - 2 * j + random.nextDouble();
            raw[j] = random.nextInt(10) == 0 ? WHOLE[random.nextInt(WHOLE.length)]
                    : random.nextDouble() * (random.nextBoolean() ? 1 : 1e-6);
            // Mostly the raw level, as calibration leaves a monotone curve (its digits are then copied).
            calibrated[j] = random.nextInt(20) == 0 ? -0.0 : random.nextInt(3) > 0 ? raw[j] : random.nextDouble();
            values[j] = format0 ? Double.NaN : random.nextGaussian() * 1e3;
            // Whole floats (a level without a coupon costs 0) take a shorter way than the others.
            costs[j] = format0 ? Double.NaN : random.nextInt(4) == 0 ? WHOLE[random.nextInt(WHOLE.length)]
                    : random.nextDouble() - 0.5;
            allowed[j] = random.nextBoolean();
        }
        double[] worth = random.nextBoolean() ? null : values.clone();
        Map<String, Double> features = new LinkedHashMap<>();
        for (int f = 0; f < random.nextInt(6); f++) {
            double v = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(100);
                case 1 -> WHOLE[random.nextInt(WHOLE.length)];
                default -> random.nextGaussian() * 1e5;
            };
            features.put(text(random) + f, v);
        }
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (int a = 0; a < random.nextInt(5); a++) {
            Object v = switch (random.nextInt(6)) {
                case 0 -> random.nextBoolean();
                case 1 -> random.nextLong();
                case 2 -> random.nextInt();
                case 3 -> random.nextDouble() * 1e-3;
                case 4 -> (short) 7;
                default -> text(random);
            };
            attributes.put("attr" + a + text(random), v);
        }
        List<String> campaigns = new ArrayList<>();
        for (int c = 0; c < random.nextInt(3); c++) {
            campaigns.add(text(random));
        }
        List<Reason> reasons = new ArrayList<>();
        for (int c = 0; c < random.nextInt(3); c++) {
            reasons.add(new Reason(text(random), random.nextBoolean() ? "cap" : "deny"));
        }
        Integer level = random.nextInt(5) == 0 ? null : random.nextInt(k);
        return new DecisionRecord(1, "demo." + i, random.nextBoolean() ? null : text(random), "demo", "2026-11-26",
                1_764_000_000_000L + random.nextInt(1_000_000), random.nextBoolean() ? null
                : Instant.ofEpochMilli(1_764_000_000_000L + random.nextInt()), text(random), text(random), features,
                attributes, campaigns, new DecisionContext(random.nextInt(5), random.nextBoolean(), random.nextInt(),
                random.nextDouble() * 1e4, random.nextDouble()), new Levels(coupons, prices, raw, calibrated, values,
                costs, allowed, worth), random.nextBoolean() ? "optimized" : "exploration", random.nextDouble(),
                random.nextDouble() * 10, level, level == null ? 0 : coupons[level], random.nextDouble() * 20,
                reasons, text(random), text(random));
    }

    /** The generator-based writer {@link RecordJson} replaced. */
    record JacksonWriter(DecisionRecord r) implements JsonSerializable {
        @Override
        public void serializeWithType(JsonGenerator g, SerializerProvider provider, TypeSerializer type)
                throws IOException {
            serialize(g, provider);
        }

        @Override
        public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
            g.writeStartObject();
            g.writeNumberField("v", r.format());
            g.writeStringField("decisionId", r.decisionId());
            if (r.requestId() != null) {
                g.writeStringField("requestId", r.requestId());
            }
            g.writeStringField("city", r.city());
            g.writeStringField("day", r.day());
            g.writeNumberField("ts", r.timestampMillis());
            if (r.clientTimestamp() != null) {
                g.writeStringField("clientTs", r.clientTimestamp().toString());
            }
            g.writeStringField("userId", r.userId());
            g.writeStringField("segment", r.segment());
            g.writeObjectFieldStart("features");
            for (Map.Entry<String, Double> f : new TreeMap<>(r.features()).entrySet()) {
                g.writeNumberField(f.getKey(), f.getValue());
            }
            g.writeEndObject();
            g.writeObjectFieldStart("attributes");
            for (Map.Entry<String, Object> a : new TreeMap<>(r.attributes()).entrySet()) {
                g.writeFieldName(a.getKey());
                if (a.getValue() instanceof Boolean b) {
                    g.writeBoolean(b);
                } else if (a.getValue() instanceof Long || a.getValue() instanceof Integer
                        || a.getValue() instanceof Short || a.getValue() instanceof Byte) {
                    g.writeNumber(((Number) a.getValue()).longValue());
                } else if (a.getValue() instanceof Number n) {
                    g.writeNumber(n.doubleValue());
                } else {
                    g.writeString(String.valueOf(a.getValue()));
                }
            }
            g.writeEndObject();
            g.writeArrayFieldStart("campaigns");
            for (String c : r.campaigns()) {
                g.writeString(c);
            }
            g.writeEndArray();
            DecisionContext c = r.context();
            g.writeObjectFieldStart("context");
            g.writeNumberField("coupons7d", c.couponsLast7Days());
            g.writeBooleanField("historyKnown", c.historyKnown());
            g.writeNumberField("dayDecisions", c.dayDecisions());
            g.writeNumberField("daySpend", c.daySpend());
            g.writeNumberField("segmentSpend", c.segmentSpend());
            g.writeEndObject();
            Levels l = r.levels();
            g.writeObjectFieldStart("levels");
            array(g, "coupon", l.coupons(), false);
            array(g, "price", l.prices(), false);
            array(g, "raw", l.raw(), true);
            array(g, "calibrated", l.calibrated(), true);
            array(g, "value", l.values(), true);
            array(g, "cost", l.costs(), true);
            if (l.worth() != null) {
                array(g, "worth", l.worth(), true);
            }
            g.writeStringField("allowed", l.allowedMask());
            g.writeEndObject();
            g.writeStringField("group", r.group());
            g.writeNumberField("propensity", r.propensity());
            g.writeNumberField("lambda", r.lambda());
            if (r.level() == null) {
                g.writeNullField("level");
            } else {
                g.writeNumberField("level", r.level());
            }
            g.writeNumberField("coupon", r.coupon());
            g.writeNumberField("price", r.price());
            g.writeArrayFieldStart("reasons");
            for (Reason reason : r.reasons()) {
                g.writeStartObject();
                g.writeStringField("rule", reason.rule());
                g.writeStringField("effect", reason.effect());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("modelVersion", r.modelVersion());
            g.writeStringField("rulesVersion", r.rulesVersion());
            g.writeEndObject();
        }
    }

    private static void array(JsonGenerator g, String name, double[] values, boolean asFloat) throws IOException {
        g.writeArrayFieldStart(name);
        for (double v : values) {
            // Format-0 records lack values and costs: NaN, which JSON cannot carry, travels as null.
            if (Double.isFinite(v) && asFloat) {
                g.writeNumber((float) v);
            } else if (Double.isFinite(v)) {
                g.writeNumber(v);
            } else {
                g.writeNull();
            }
        }
        g.writeEndArray();
    }
}
