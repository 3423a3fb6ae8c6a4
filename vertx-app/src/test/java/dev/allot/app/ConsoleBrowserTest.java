package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allot.control.redis.EmbeddedRedisExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The console in headless Chromium against a running service (real Redis, Drools, XGBoost): each kind of user does
 * their job through the pages, and each page shows only what the signed-in identity may do. Screenshots go to
 * {@code docs/console/} for the operations guide.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them). Without them the
 * tests are skipped on a developer's machine and fail in CI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

    @RegisterExtension
    static final EmbeddedRedisExtension REDIS = new EmbeddedRedisExtension();

    static final String ALICE = "alice-edits-rules";
    static final String BOB = "bob-approves-rules";
    static final String OLGA = "olga-runs-operations";
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path SCREENSHOTS = Path.of("..", "docs", "console");

    static final String STAFF_RULE = """
            { "rules": [
              { "name": "deny-staff",
                "when": [
                  { "field": "userId", "op": "startsWith", "value": "staff-" },
                  { "field": "no_such_field", "op": "==", "value": 3 } ],
                "then": { "action": "deny", "reason": "staff account" } } ] }
            """;

    /** The test city steers every ten minutes, so a recorded afternoon has a λ path to chart and replay. */
    static final String CITY = ServiceFixture.city(
            "{ \"pid\": { \"kp\": 0.05, \"ki\": 0.0002, \"intervalSeconds\": 600, \"lambdaMax\": 10 } }");
    static final int STRETCHES = 8;
    static final int PER_STRETCH = 40;

    static ServiceFixture service;
    static ChromeDriver browser;
    static String base;
    /** The version alice saves, bob approves and activates. */
    static String staffVersion;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI runs the browser tests: install Debian's chromium and chromium-driver (.ci/run does)");
        }
        assumeTrue(present, "chromium and chromium-driver are not installed: browser tests skipped");
        Path dir = Files.createTempDirectory("allot-console");
        Files.writeString(dir.resolve("identities.json"), """
                { "tokens": [
                    { "name": "alice", "token": "%s", "scopes": ["rules:edit", "read"] },
                    { "name": "bob", "token": "%s", "scopes": ["rules:approve", "read"] },
                    { "name": "olga", "token": "%s", "scopes": ["ops", "read"] } ] }
                """.formatted(ALICE, BOB, OLGA));
        service = ServiceFixture.start(REDIS, CITY,
                s -> s.withIdentities(dir.resolve("identities.json")).withFourEyes(true));
        base = "http://127.0.0.1:" + service.service().port();
        recordTraffic();

        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + dir.resolve("chromium"),
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");
        // The page's console, for a failing wait to report.
        org.openqa.selenium.logging.LoggingPreferences logs = new org.openqa.selenium.logging.LoggingPreferences();
        logs.enable(org.openqa.selenium.logging.LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(driver, options);
        browser.manage().window().setSize(new Dimension(1440, 1000));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.close();
        }
    }

    /**
     * Stretches of traffic half an hour apart (a point each on the day's chart, the controller stepping between
     * them), staff among the users.
     */
    static void recordTraffic() throws Exception {
        String[] segments = {"new", "low_frequency", "high_frequency"};
        for (int stretch = 0; stretch < STRETCHES; stretch++) {
            for (int i = 0; i < PER_STRETCH; i++) {
                String user = (i % 10 == 0 ? "staff-" : "u-") + stretch + "-" + i;
                assertThat(service.post("/v1/decisions", "{\"city\":\"demo\",\"userId\":\"" + user + "\","
                        + "\"segment\":\"" + segments[i % 3] + "\",\"features\":{\"rides_30d\":" + (i % 12)
                        + ",\"avg_fare\":" + (10 + i % 9) + ",\"hour\":" + (8 + stretch) + "}}").status()).isEqualTo(200);
            }
            service.flushAndRefresh();
            service.clock.advance(Duration.ofMinutes(30));
            // The fixture's controller has no timer: the test steps it, as the timer would once a step is due.
            var context = service.vertx().getOrCreateContext();
            var city = service.service().decisions().city("demo");
            assertThat(service.service().controller().tick(city, context).toCompletionStage().toCompletableFuture()
                    .get(5, java.util.concurrent.TimeUnit.SECONDS)).isPresent();
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(20));
    }


    static void signInAs(String token) {
        browser.get(base + "/console/#/signout");
        browser.navigate().refresh();
        shown(By.id("token")).sendKeys(token);
        browser.findElement(By.id("sign-in")).click();
        shown(By.id("identity"));
    }

    static void open(String hash) {
        browser.get(base + "/console/" + hash);
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    static WebElement shown(By by) {
        return until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits for {@code condition}; on a timeout, says what the page showed and logged. */
    static <T> T until(java.util.function.Function<? super org.openqa.selenium.WebDriver, T> condition) {
        try {
            return waiting().until(condition);
        } catch (org.openqa.selenium.TimeoutException e) {
            StringBuilder log = new StringBuilder();
            browser.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER)
                    .forEach(entry -> log.append('\n').append(entry.getMessage()));
            throw new AssertionError(e.getMessage().lines().findFirst().orElse("") + "\nthe page says: "
                    + browser.findElement(By.tagName("body")).getText() + "\nbrowser console:" + log, e);
        }
    }

    static void screenshot(String name) throws Exception {
        js("window.scrollTo(0, 0)");
        save(name);
    }

    /** A screenshot with {@code focus} scrolled to the top of the window. */
    static void screenshot(String name, By focus) throws Exception {
        js("arguments[0].scrollIntoView()", browser.findElement(focus));
        save(name);
    }

    private static void save(String name) throws Exception {
        Thread.sleep(400);  // ECharts animates its series in
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** How many points the chart in {@code id} draws in its first series, once it draws any. */
    static long chartPoints(String id) {
        until(d -> {
            Object n = js("const el = document.getElementById(arguments[0]);"
                    + " return el && el.dataset.points ? Number(el.dataset.points) : 0;", id);
            return ((Number) n).longValue() > 0;
        });
        return ((Number) js("return echarts.getInstanceByDom(document.getElementById(arguments[0]))"
                + ".getOption().series[0].data.length", id)).longValue();
    }

    /** As alice: the running rules opened in the editor, and a new file beside them holding {@code content}. */
    static void editNewRuleFile(String name, String content) {
        signInAs(ALICE);
        open("#/rules");
        shown(By.id("rule-file"));
        until(d -> !d.findElements(By.cssSelector("#rule-file option")).isEmpty());
        shown(By.id("new-file")).sendKeys(name);
        browser.findElement(By.id("add-file")).click();
        js("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", content);
    }

    // ------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void consoleLoadsAndListsTheCitiesWithTheirState() throws Exception {
        signInAs(ServiceFixture.ADMIN_TOKEN);
        WebElement row = shown(By.cssSelector("#cities tr[data-city='demo']"));
        JsonNode state = service.state("demo").body();
        assertThat(row.findElement(By.cssSelector("td.decisions")).getText().replace(",", ""))
                .isEqualTo(state.path("counts").path("decisions").asText());
        assertThat(Double.parseDouble(row.findElement(By.cssSelector("td.lambda")).getText()))
                .isCloseTo(state.path("lambda").asDouble(), within(1e-4));
        screenshot("cities");
    }

    @Test
    @Order(2)
    void aCitysChartDrawsTheDayItReadsFromTheService() throws Exception {
        signInAs(ServiceFixture.ADMIN_TOKEN);
        open("#/city/demo");
        assertThat(chartPoints("chart-lambda")).isEqualTo(STRETCHES);
        JsonNode day = service.admin("GET", "/v1/admin/cities/demo/day", null, ServiceFixture.ADMIN_TOKEN).body();
        assertThat(day.path("decisions").asLong()).isEqualTo(STRETCHES * PER_STRETCH);
        @SuppressWarnings("unchecked")
        List<List<Object>> drawn = (List<List<Object>>) js("return echarts.getInstanceByDom("
                + "document.getElementById('chart-measure')).getOption().series[0].data");
        assertThat(drawn).hasSize(STRETCHES);
        for (int i = 0; i < STRETCHES; i++) {
            assertThat(((Number) drawn.get(i).get(1)).doubleValue())
                    .isCloseTo(day.path("points").get(i).path("measured").asDouble(), within(1e-9));
        }
        assertThat(chartPoints("chart-levels")).isPositive();
        screenshot("city");
    }

    @Test
    @Order(3)
    void aBrokenRuleShowsItsErrorAtItsLine() throws Exception {
        editNewRuleFile("zz-staff.json", STAFF_RULE);
        browser.findElement(By.id("validate")).click();
        WebElement error = shown(By.cssSelector("#rule-errors li"));
        assertThat(error.getText()).contains("zz-staff.json, line 5").contains("no_such_field");
        WebElement marked = shown(By.cssSelector(".cm-error-line"));
        assertThat(marked.findElement(By.cssSelector(".CodeMirror-linenumber")).getText()).isEqualTo("5");
        assertThat(browser.findElements(By.cssSelector(".cm-error-line"))).hasSize(1);
        screenshot("rule-error", By.id("editor-card"));
    }

    @Test
    @Order(4)
    void aSavedDraftsDryRunShowsWhatItWouldChange() throws Exception {
        editNewRuleFile("zz-staff.json",
                STAFF_RULE.replace(",\n      { \"field\": \"no_such_field\", \"op\": \"==\", \"value\": 3 } ]", " ]"));
        browser.findElement(By.id("rule-description")).sendKeys("staff accounts get no coupon");
        browser.findElement(By.id("save-draft")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "saved rules-"));
        staffVersion = browser.findElement(By.id("message")).getText().replaceAll(".*saved (rules-[0-9a-f]+).*", "$1");
        WebElement row = shown(By.cssSelector("#versions tr[data-version='" + staffVersion + "']"));
        row.findElement(By.cssSelector("button.dry-run")).click();
        WebElement decisions = shown(By.id("dry-run-decisions"));
        assertThat(decisions.getText().replace(",", "")).isEqualTo(Integer.toString(STRETCHES * PER_STRETCH));
        // A tenth of the recorded arrivals were staff accounts; those offered a coupon lose it.
        long changed = Long.parseLong(browser.findElement(By.id("dry-run-changed")).getText());
        JsonNode report = service.admin("POST", "/v1/admin/rules/versions/" + staffVersion + "/dry-run", "{}", ALICE)
                .body();
        assertThat(changed).isEqualTo(report.path("total").path("changed").asLong()).isBetween(1L, (long) STRETCHES * PER_STRETCH / 10);
        assertThat(row.findElements(By.cssSelector("button.approve"))).as("alice may not approve").isEmpty();
        screenshot("dry-run", By.id("dry-run"));
    }

    @Test
    @Order(5)
    void aSecondIdentityApprovesAndActivationChangesTheDecision() throws Exception {
        String arrival = "{\"city\":\"demo\",\"userId\":\"staff-99\",\"segment\":\"new\",\"features\":{\"rides_30d\":1}}";
        assertThat(service.post("/v1/decisions", arrival).body().path("reasons").toString()).doesNotContain("deny-staff");
        signInAs(BOB);
        open("#/rules");
        shown(By.cssSelector("#versions tr[data-version='" + staffVersion + "'] button.approve")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "approved"));
        shown(By.cssSelector("#versions tr[data-version='" + staffVersion + "'] button.activate")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "activated"));
        until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("td.running-version"),
                staffVersion));
        JsonNode after = service.post("/v1/decisions", arrival.replace("staff-99", "staff-100")).body();
        assertThat(after.path("reasons").toString()).contains("deny-staff");
        assertThat(after.path("coupon").asDouble()).isZero();
        assertThat(after.path("rulesVersion").asText()).isEqualTo(staffVersion);
        screenshot("rules-activated");
        // The city's page shows the new rule acting.
        service.flushAndRefresh();
        open("#/city/demo");
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("rule-hits"), "deny-staff"));
    }

    @Test
    @Order(6)
    void aWhatIfChartRendersAndApplyingGainsChangesTheCity() throws Exception {
        signInAs(OLGA);
        open("#/pid/demo");
        WebElement kp = shown(By.id("pid-kp"));
        until(d -> !kp.getDomProperty("value").isEmpty());
        kp.clear();
        kp.sendKeys("0.9");
        browser.findElement(By.id("what-if")).click();
        assertThat(chartPoints("chart-whatif")).isPositive();
        WebElement proposed = shown(By.id("whatif-proposed-deviation"));
        assertThat(proposed.getText()).endsWith("%");
        // Eighteen times the proportional gain steers the replayed day elsewhere than the gains in force did.
        assertThat(proposed.getText()).isNotEqualTo(browser.findElement(By.id("whatif-current-deviation")).getText());
        screenshot("pid-what-if");
        browser.findElement(By.id("apply-gains")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "gains applied"));
        JsonNode state = service.state("demo").body();
        assertThat(state.path("pid").path("kp").asDouble()).isEqualTo(0.9);
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("pid-kp-now"), "0.9"));
        JsonNode audit = service.admin("GET", "/v1/admin/audit?action=pid.set", null, OLGA).body();
        assertThat(audit.path("entries").get(0).path("who").asText()).isEqualTo("olga");
        assertThat(audit.path("entries").get(0).path("after").path("kp").asDouble()).isEqualTo(0.9);
    }

    @Test
    @Order(7)
    void opsCannotActivateRulesAndRuleEditorsCannotChangeGains() throws Exception {
        signInAs(OLGA);
        open("#/rules");
        shown(By.cssSelector("#versions tr[data-version]"));
        assertThat(browser.findElements(By.cssSelector("button.approve, button.activate, button.rollback, #validate")))
                .isEmpty();
        assertThat(service.admin("POST", "/v1/admin/rules/versions/" + staffVersion + "/activate", "{}", OLGA)
                .status()).isEqualTo(403);

        signInAs(ALICE);
        open("#/pid/demo");
        shown(By.id("pid-lambda"));
        assertThat(browser.findElements(By.cssSelector("#apply-gains, #what-if, #set-lambda, #pid-form"))).isEmpty();
        assertThat(service.admin("PUT", "/v1/admin/cities/demo/pid", "{\"kp\":2}", ALICE).status()).isEqualTo(403);
        assertThat(service.state("demo").body().path("pid").path("kp").asDouble()).isEqualTo(0.9);
    }

    @Test
    @Order(8)
    void modelsAndAuditShowTheCardAndTheChanges() throws Exception {
        signInAs(OLGA);
        open("#/models");
        WebElement card = shown(By.cssSelector("section.model[data-city='demo'] b.auc"));
        JsonNode model = service.admin("GET", "/v1/admin/cities/demo/model", null, OLGA).body();
        assertThat(Double.parseDouble(card.getText())).isCloseTo(model.path("card").path("metrics").path("auc")
                .asDouble(), within(1e-4));
        assertThat(chartPoints("chart-calibration-demo")).isEqualTo(10);
        screenshot("models");

        open("#/audit");
        shown(By.id("audit-action")).sendKeys("rules.");
        browser.findElement(By.cssSelector("#audit-form button")).click();
        until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit"), "rules.activate"));
        List<WebElement> rows = browser.findElements(By.cssSelector("#audit tbody tr"));
        assertThat(rows).allSatisfy(r -> assertThat(r.getText()).contains("rules."));
        assertThat(browser.findElement(By.id("audit")).getText()).doesNotContain("pid.set");
        screenshot("audit");
    }
}
