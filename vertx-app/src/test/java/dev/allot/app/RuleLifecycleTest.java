package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import dev.allot.engine.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The governed rule lifecycle over HTTP, with four-eyes approval on: draft with example arrivals, dry-run on
 * recorded decisions, approve by someone other than the author, activate on every replica within a second,
 * versions, diff, and the audit trail of each step.
 */
class RuleLifecycleTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String ALICE = "alice-writes";
    static final String BOB = "bob-writes-and-approves";
    static final String CAROL = "carol-approves";

    static ServiceFixture service;
    static ServiceFixture replica;

    static final String STAFF_RULE = """
            { "rules": [ { "name": "deny-staff",
                "when": [ { "field": "userId", "op": "startsWith", "value": "staff-" } ],
                "then": { "action": "deny", "reason": "staff account" } } ] }
            """;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("allot-lifecycle");
        Files.writeString(dir.resolve("identities.json"), """
                { "tokens": [
                    { "name": "alice", "token": "%s", "scopes": ["rules:edit", "read"] },
                    { "name": "bob", "token": "%s", "scopes": ["rules:edit", "rules:approve", "read"] },
                    { "name": "carol", "token": "%s", "scopes": ["rules:approve", "read"] } ] }
                """.formatted(ALICE, BOB, CAROL));
        service = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY,
                s -> s.withIdentities(dir.resolve("identities.json")).withFourEyes(true));
        // The replica polls nothing (the fixture's rule poll is off): only the announcement can reach it.
        replica = ServiceFixture.start(REDIS, ServiceFixture.BASE_CITY);
    }

    @AfterAll
    static void stop() {
        replica.close();
        service.close();
    }

    private static ServiceFixture.Response call(String method, String path, Object body, String token)
            throws Exception {
        return service.admin(method, path, body == null ? null : Json.MAPPER.writeValueAsString(body), token);
    }

    /** The shipped files and the staff rule, its reason varied so that each test has its own version. */
    private static Map<String, String> withStaffRule(String reason) throws Exception {
        Map<String, String> files = new TreeMap<>(ServiceFixture.shippedRuleFiles());
        files.put("zz-staff.json", STAFF_RULE.replace("staff account", reason));
        return files;
    }

    private static List<Object> examples(boolean staffDenied) {
        return List.of(
                Map.of("name", "staff get nothing",
                        "arrival", Map.of("city", "demo", "userId", "staff-7", "segment", "new"),
                        "expect", Map.of("denied", staffDenied, "rules", staffDenied ? List.of("deny-staff")
                                : List.of())),
                Map.of("name", "frequent riders get small coupons",
                        "arrival", Map.of("city", "demo", "userId", "u-1", "segment", "high_frequency"),
                        "history", Map.of("couponsLast7Days", 1, "known", true),
                        "expect", Map.of("allowedLevels", List.of(0, 1, 2), "rules", List.of("cap-high-frequency"))));
    }

    private static String decidedVersion(ServiceFixture fixture, String userId) {
        ServiceFixture.Response decision = fixture.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\""
                + userId + "\"}");
        assertThat(decision.status()).as(decision.text()).isEqualTo(200);
        return decision.body().get("rulesVersion").asText();
    }

    @Test
    void aDraftIsTestedApprovedBySomeoneElseAndActivatedOnEveryReplicaWithinASecond() throws Exception {
        String before = decidedVersion(replica, "x");
        ServiceFixture.Response draft = call("POST", "/v1/admin/rules/drafts", Map.of("files", withStaffRule("staff account"),
                "examples", examples(true), "description", "no coupons for staff accounts"), BOB);
        assertThat(draft.status()).as(draft.text()).isEqualTo(201);
        String version = draft.body().get("version").asText();
        assertThat(draft.body().get("author").asText()).isEqualTo("bob");
        assertThat(draft.body().get("examplesPassed").asBoolean()).isTrue();
        assertThat(draft.body().get("exampleResults")).hasSize(2);

        // Not approved yet: activation is refused, and so is the author approving his own set.
        ServiceFixture.Response early = call("POST", "/v1/admin/rules/versions/" + version + "/activate", null, BOB);
        assertThat(early.status()).as(early.text()).isEqualTo(409);
        ServiceFixture.Response self = call("POST", "/v1/admin/rules/versions/" + version + "/approve", null, BOB);
        assertThat(self.status()).isEqualTo(409);
        assertThat(self.body().get("error").asText()).isEqualTo("four_eyes");
        assertThat(call("POST", "/v1/admin/rules/versions/" + version + "/approve", null, ALICE).status())
                .as("alice may not approve at all").isEqualTo(403);
        assertThat(call("POST", "/v1/admin/rules/versions/" + version + "/approve", null, CAROL).status())
                .isEqualTo(200);

        // The approval covers these files for all cities; re-drafting them for fewer or other cities is refused.
        ServiceFixture.Response narrowed = call("POST", "/v1/admin/rules/drafts", Map.of("files",
                withStaffRule("staff account"), "cities", List.of("demo")), ALICE);
        assertThat(narrowed.status()).isEqualTo(409);
        assertThat(narrowed.body().get("field").asText()).isEqualTo("cities");

        ServiceFixture.Response activated = call("POST", "/v1/admin/rules/versions/" + version + "/activate", null,
                CAROL);
        assertThat(activated.status()).as(activated.text()).isEqualTo(200);
        long sent = System.nanoTime();
        String seen = before;
        while (!seen.equals(version) && System.nanoTime() - sent < 5_000_000_000L) {
            seen = decidedVersion(replica, "y");
        }
        long millis = (System.nanoTime() - sent) / 1_000_000;
        assertThat(seen).isEqualTo(version);
        assertThat(millis).as("ms until the replica decided with the new set").isLessThan(1_000);
        assertThat(replica.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"staff-1\"}").body()
                .get("reasons").get(0).get("rule").asText()).isEqualTo("deny-staff");

        JsonNode shown = call("GET", "/v1/admin/rules/versions/" + version, null, ALICE).body();
        assertThat(shown.get("approvedBy").asText()).isEqualTo("carol");
        assertThat(shown.get("activatedBy").asText()).isEqualTo("carol");
        assertThat(shown.get("files").has("zz-staff.json")).isTrue();
        JsonNode listed = call("GET", "/v1/admin/rules/versions", null, ALICE).body().get("versions");
        assertThat(listed).anySatisfy(v -> {
            assertThat(v.get("version").asText()).isEqualTo(version);
            assertThat(v.get("active").asBoolean()).isTrue();
        });

        // The set before is a version too once a draft of it exists; the diff shows the new file.
        String shipped = call("POST", "/v1/admin/rules/drafts", Map.of("files", ServiceFixture.shippedRuleFiles()),
                ALICE).body().get("version").asText();
        assertThat(shipped).isEqualTo(before);
        JsonNode diff = call("GET", "/v1/admin/rules/diff?from=" + shipped + "&to=" + version, null, ALICE).body();
        assertThat(diff.get("files").get("zz-staff.json").get("status").asText()).isEqualTo("added");
        assertThat(diff.get("files").get("zz-staff.json").get("diff").asText())
                .contains("+    \"when\": [ { \"field\": \"userId\"");
        assertThat(diff.get("files").get("fairness.json").get("status").asText()).isEqualTo("same");

        JsonNode audit = call("GET", "/v1/admin/audit?action=rules.", null, ALICE).body().get("entries");
        assertThat(audit).extracting(e -> e.get("action").asText() + " by " + e.get("who").asText())
                .contains("rules.draft by bob", "rules.approve by carol", "rules.activate by carol");

        // Roll back, for the other tests: the replica follows within a second too.
        assertThat(call("POST", "/v1/admin/rules/rollback", null, CAROL).status()).isEqualTo(200);
        long rolled = System.nanoTime();
        while (!decidedVersion(replica, "z").equals(before) && System.nanoTime() - rolled < 5_000_000_000L) {
            Thread.onSpinWait();
        }
        assertThat(decidedVersion(replica, "z")).isEqualTo(before);
    }

    @Test
    void aFailingExampleBlocksApprovalAndActivation() throws Exception {
        // The examples expect staff to get coupons, which the new rule forbids.
        ServiceFixture.Response draft = call("POST", "/v1/admin/rules/drafts", Map.of("files", withStaffRule("staff (examples)"),
                "examples", examples(false)), ALICE);
        assertThat(draft.status()).isEqualTo(201);
        assertThat(draft.body().get("examplesPassed").asBoolean()).isFalse();
        JsonNode failed = draft.body().get("exampleResults").get(0);
        assertThat(failed.get("passed").asBoolean()).isFalse();
        assertThat(failed.get("problem").asText()).contains("denied, expected a coupon");
        String version = draft.body().get("version").asText();

        ServiceFixture.Response approve = call("POST", "/v1/admin/rules/versions/" + version + "/approve", null,
                CAROL);
        assertThat(approve.status()).isEqualTo(409);
        assertThat(approve.body().get("error").asText()).isEqualTo("examples_failing");
        assertThat(approve.body().get("message").asText()).contains("staff get nothing");
    }

    @Test
    void directActivationOfFilesIsRefusedWhenFourEyesIsOn() throws Exception {
        ServiceFixture.Response direct = call("POST", "/v1/admin/rules/activate", Map.of("files",
                withStaffRule("staff (direct)")), CAROL);
        assertThat(direct.status()).isEqualTo(409);
        assertThat(direct.body().get("message").asText()).contains("four-eyes");
    }

    @Test
    void malformedExamplesAreRefusedNamingTheField() throws Exception {
        ServiceFixture.Response bad = call("POST", "/v1/admin/rules/drafts", Map.of("files", withStaffRule("staff (malformed)"),
                "examples", List.of(Map.of("name", "x", "arrival", Map.of("city", "demo", "userId", "u"),
                        "expect", Map.of("allowed", List.of(0))))), ALICE);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("field").asText()).isEqualTo("examples[0].expect.allowed");
    }

    @Test
    void theDryRunCountsWhatADirectCountOfTheRecordedDecisionsSays() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        String[] segments = {"new", "churned", "low_frequency", "high_frequency"};
        long churnedWithCoupon = 0;
        int sent = 300;
        for (int i = 0; i < sent; i++) {
            String segment = segments[random.nextInt(segments.length)];
            JsonNode decision = replica.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"dry-" + i
                    + "\",\"segment\":\"" + segment + "\",\"features\":{\"rides_30d\":" + random.nextInt(30) + "}}")
                    .body();
            if (segment.equals("churned") && decision.get("level").asInt() != 0) {
                churnedWithCoupon++;
            }
        }
        replica.flushAndRefresh();
        Map<String, String> files = new TreeMap<>(ServiceFixture.shippedRuleFiles());
        files.put("zz-churn.json", """
                { "rules": [ { "name": "no-coupon-churned", "when": [ { "field": "segment", "op": "==",
                  "value": "churned" } ], "then": { "action": "deny", "reason": "win-back runs elsewhere" } } ] }
                """);
        String version = call("POST", "/v1/admin/rules/drafts", Map.of("files", files), ALICE).body()
                .get("version").asText();

        ServiceFixture.Response report = call("POST", "/v1/admin/rules/versions/" + version + "/dry-run",
                Map.of("city", "demo", "last", sent), ALICE);

        assertThat(report.status()).as(report.text()).isEqualTo(200);
        JsonNode total = report.body().get("total");
        assertThat(total.get("decisions").asLong()).isEqualTo(sent);
        assertThat(churnedWithCoupon).isPositive();
        assertThat(total.get("changed").asLong()).isEqualTo(churnedWithCoupon);
        assertThat(report.body().get("bySegment").get("churned").get("changed").asLong()).isEqualTo(churnedWithCoupon);
        assertThat(total.get("spendAfter").asDouble()).isLessThan(total.get("spendBefore").asDouble());

        JsonNode fewer = call("POST", "/v1/admin/rules/versions/" + version + "/dry-run",
                Map.of("city", "demo", "last", 100), ALICE).body();
        assertThat(fewer.get("total").get("decisions").asLong()).isEqualTo(100);
    }
}
