package dev.allot.app;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.allot.app.cli.ServeCommand;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every manifest in k8s/ read into the Kubernetes API's model classes (fabric8), failing on any field the API does
 * not have; then what the manifests say checked against what the service reads: its command-line options, its
 * environment variables, its port and probe paths, the files it is pointed at and the secret key behind them.
 */
class KubernetesManifestsTest {

    private static final Path K8S = Path.of("..", "k8s");
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "ConfigMap", ConfigMap.class, "Service", Service.class, "Secret", Secret.class,
            "StatefulSet", StatefulSet.class, "HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "PodDisruptionBudget", PodDisruptionBudget.class, "NetworkPolicy", NetworkPolicy.class);
    private static final Set<String> KUSTOMIZATION_FIELDS = Set.of("apiVersion", "kind", "namespace", "resources",
            "images", "patches", "labels", "configMapGenerator", "secretGenerator");
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The base's objects by kind and name. */
    private static final Map<String, HasMetadata> BASE = new java.util.TreeMap<>();

    @BeforeAll
    static void readBase() throws Exception {
        for (HasMetadata object : resources(K8S.resolve("base"))) {
            BASE.put(object.getKind() + "/" + object.getMetadata().getName(), object);
        }
    }

    /** The resources a kustomization lists (following nested kustomizations), each read strictly. */
    private static List<HasMetadata> resources(Path kustomizationDir) throws Exception {
        JsonNode kustomization = documents(kustomizationDir.resolve("kustomization.yaml")).get(0);
        List<String> fields = new ArrayList<>();
        kustomization.fieldNames().forEachRemaining(fields::add);
        assertThat(KUSTOMIZATION_FIELDS).as("fields of %s", kustomizationDir).containsAll(fields);
        List<HasMetadata> out = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = kustomizationDir.resolve(resource.asText()).normalize();
            assertThat(path).as("resource of %s", kustomizationDir).exists();
            if (Files.isDirectory(path)) {
                out.addAll(resources(path));
            } else {
                for (JsonNode doc : documents(path)) {
                    out.add(strict(doc, path));
                }
            }
        }
        return out;
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            it.forEachRemaining(d -> {
                if (d != null && !d.isEmpty()) {
                    docs.add(d);
                }
            });
        }
        return docs;
    }

    /** The document as its kind's model class; any field that class does not have fails. */
    private static HasMetadata strict(JsonNode doc, Path file) throws Exception {
        String kind = doc.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(kind);
        assertThat(type).as("kind %s in %s", kind, file).isNotNull();
        HasMetadata object = MAPPER.treeToValue(doc, type);
        List<String> unknown = new ArrayList<>();
        unknownFields(object, kind, unknown);
        assertThat(unknown).as("fields the Kubernetes API does not have, in %s", file).isEmpty();
        return object;
    }

    /** fabric8 keeps fields its classes lack in {@code additionalProperties}: any found there is unknown. */
    private static void unknownFields(Object value, String path, List<String> unknown) throws Exception {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                unknownFields(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (var e : map.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown);
            }
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child = m.invoke(value);
            if (m.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(child, path + "." + m.getName().substring(3), unknown);
            }
        }
    }

    private static <T extends HasMetadata> T base(Class<T> type, String name) {
        HasMetadata object = BASE.get(type.getSimpleName() + "/" + name);
        assertThat(object).as("%s %s in k8s/base", type.getSimpleName(), name).isNotNull();
        return type.cast(object);
    }

    private static Container allotContainer() {
        return base(StatefulSet.class, "allot").getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name)).getValue();
    }

    /** The mount whose path holds {@code file}, and the volume behind it. */
    private static Volume volumeHolding(String file) {
        PodSpec pod = base(StatefulSet.class, "allot").getSpec().getTemplate().getSpec();
        VolumeMount mount = allotContainer().getVolumeMounts().stream()
                .filter(m -> file.equals(m.getMountPath()) || file.startsWith(m.getMountPath() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + file));
        return pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                .orElseGet(() -> {
                    boolean claimed = base(StatefulSet.class, "allot").getSpec().getVolumeClaimTemplates().stream()
                            .anyMatch(c -> c.getMetadata().getName().equals(mount.getName()));
                    assertThat(claimed).as("volume %s: a pod volume or a claim template", mount.getName()).isTrue();
                    return null;
                });
    }

    @Test
    void everyManifestOfTheBaseAndTheProductionOverlayIsValidKubernetes() throws Exception {
        assertThat(BASE.keySet()).contains("StatefulSet/allot", "Service/allot", "ConfigMap/allot-cities",
                "HorizontalPodAutoscaler/allot", "PodDisruptionBudget/allot", "NetworkPolicy/allot",
                "NetworkPolicy/allot-redis", "StatefulSet/allot-redis", "Service/allot-redis");
        Path overlay = K8S.resolve("overlays/production");
        assertThat(resources(overlay)).hasSameSizeAs(BASE.values());
        // Patches are partial objects of a kind the base has, under a name the base has.
        for (JsonNode patch : documents(overlay.resolve("kustomization.yaml")).get(0).path("patches")) {
            Path file = overlay.resolve(patch.path("path").asText());
            for (JsonNode doc : documents(file)) {
                HasMetadata object = strict(doc, file);
                assertThat(BASE).as("patch %s", file).containsKey(object.getKind() + "/" + object.getMetadata().getName());
            }
        }
    }

    @Test
    void theServiceIsStartedWithOptionsItHasAndPointedAtMountedFiles() {
        Container container = allotContainer();
        List<String> args = container.getArgs();
        // picocli refuses an option the serve command does not have.
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
        CommandLine.ParseResult serve = parsed.subcommand();
        assertThat(serve.commandSpec().name()).isEqualTo("serve");
        for (String option : List.of("--config-dir", "--rules-dir", "--data-dir")) {
            Path value = serve.matchedOptionValue(option, null);
            assertThat(value).as(option).isNotNull();
            volumeHolding(value.toString());
        }
        // The data directory is the replica's own claim: a replacement pod finds the journal.
        String data = serve.matchedOptionValue("--data-dir", Path.of("")).toString();
        assertThat(volumeHolding(data)).as("the journal's volume is a claim template, not a pod volume").isNull();
        // The cities and rules mounts are the ConfigMaps the README creates.
        assertThat(volumeHolding(serve.matchedOptionValue("--config-dir", Path.of("")).toString()).getConfigMap()
                .getName()).isEqualTo(base(ConfigMap.class, "allot-cities").getMetadata().getName());
        assertThat(volumeHolding(serve.matchedOptionValue("--rules-dir", Path.of("")).toString()).getConfigMap()
                .getName()).isEqualTo("allot-rules");
    }

    @Test
    void environmentPortsAndProbesAreWhatTheServiceReadsAndServes() throws IOException {
        Container container = allotContainer();
        Set<String> read = environmentTheServiceReads();
        for (var e : container.getEnv()) {
            assertThat(read).as("env %s is read by the service or the JVM", e.getName()).contains(e.getName());
        }
        assertThat(env(container, "JAVA_TOOL_OPTIONS")).contains("-XX:+ExitOnOutOfMemoryError");
        // The token file is the secret's key the README creates.
        String tokenFile = env(container, "ALLOT_ADMIN_TOKEN_FILE");
        Volume admin = volumeHolding(tokenFile);
        assertThat(admin.getSecret()).as("the token comes from a Secret").isNotNull();
        String key = admin.getSecret().getItems().stream()
                .filter(i -> tokenFile.endsWith("/" + i.getPath())).findFirst().orElseThrow().getKey();
        assertThat(Files.readString(K8S.resolve("README.md")))
                .contains("create secret generic " + admin.getSecret().getSecretName() + " --from-literal=" + key + "=");

        int port = container.getPorts().get(0).getContainerPort();
        assertThat(port).as("serve's default port").isEqualTo(8080);
        String portName = container.getPorts().get(0).getName();
        Service service = base(Service.class, "allot");
        assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo(portName);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(base(StatefulSet.class, "allot").getSpec().getSelector().getMatchLabels());
        Map<String, Probe> probes = Map.of("/health/ready", container.getReadinessProbe(),
                "/health/live", container.getLivenessProbe());
        probes.forEach((path, probe) -> {
            assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo(portName);
        });
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/live");

        // The grace period covers the preStop pause and the longest stop the service allows itself.
        PodSpec pod = base(StatefulSet.class, "allot").getSpec().getTemplate().getSpec();
        List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
        long pause = Long.parseLong(preStop.get(preStop.size() - 1));
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(pause + ServeCommand.STOP_SECONDS);
    }

    /** Names in {@code System.getenv("...")} and {@code getenv().getOrDefault("...")} of the main sources. */
    private static Set<String> environmentTheServiceReads() throws IOException {
        Set<String> names = new TreeSet<>(Set.of("JAVA_TOOL_OPTIONS"));
        Pattern read = Pattern.compile("getenv\\(\"([A-Z_]+)\"\\)|getenv\\(\\)\\.getOrDefault\\(\"([A-Z_]+)\"");
        try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = read.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1) != null ? m.group(1) : m.group(2));
                }
            }
        }
        assertThat(names).contains("REDIS_URL", "ALLOT_ADMIN_TOKEN_FILE", "PORT");
        return names;
    }

    @Test
    void redisKeepsAnAppendOnlyFileOnItsOwnVolumeAndOnlyTheServiceReachesIt() {
        StatefulSet redis = base(StatefulSet.class, "allot-redis");
        Container container = redis.getSpec().getTemplate().getSpec().getContainers().get(0);
        String args = String.join(" ", container.getArgs());
        assertThat(args).contains("--appendonly yes").contains("--maxmemory-policy noeviction");
        String dir = container.getArgs().get(container.getArgs().indexOf("--dir") + 1);
        String mount = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(dir)).findFirst()
                .orElseThrow().getName();
        assertThat(redis.getSpec().getVolumeClaimTemplates()).extracting(c -> c.getMetadata().getName())
                .contains(mount);

        // REDIS_URL names the Redis Service, on the port the Redis container listens on.
        java.net.URI url = java.net.URI.create(env(allotContainer(), "REDIS_URL"));
        Service service = base(Service.class, url.getHost());
        assertThat(service.getSpec().getSelector()).isEqualTo(redis.getSpec().getSelector().getMatchLabels());
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(url.getPort());
        assertThat(container.getPorts().get(0).getContainerPort()).isEqualTo(url.getPort());

        NetworkPolicy policy = base(NetworkPolicy.class, "allot-redis");
        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .isEqualTo(redis.getSpec().getSelector().getMatchLabels());
        var rule = policy.getSpec().getIngress().get(0);
        assertThat(rule.getFrom().get(0).getPodSelector().getMatchLabels())
                .isEqualTo(base(StatefulSet.class, "allot").getSpec().getSelector().getMatchLabels());
        assertThat(rule.getPorts().get(0).getPort().getIntVal()).isEqualTo(url.getPort());
        NetworkPolicy allot = base(NetworkPolicy.class, "allot");
        assertThat(allot.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal())
                .isEqualTo(allotContainer().getPorts().get(0).getContainerPort());
    }

    @Test
    void theAutoscalerAndTheDisruptionBudgetTargetTheService() {
        StatefulSet allot = base(StatefulSet.class, "allot");
        HorizontalPodAutoscaler hpa = base(HorizontalPodAutoscaler.class, "allot");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("StatefulSet");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(allot.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
        assertThat(base(PodDisruptionBudget.class, "allot").getSpec().getSelector().getMatchLabels())
                .isEqualTo(allot.getSpec().getTemplate().getMetadata().getLabels());
        assertThat(allot.getSpec().getSelector().getMatchLabels())
                .isEqualTo(allot.getSpec().getTemplate().getMetadata().getLabels());
    }

    @Test
    void theCitiesConfigMapCarriesACityConfigTheServiceLoads(@TempDir Path dir) throws IOException {
        ConfigMap cities = base(ConfigMap.class, "allot-cities");
        Path file = dir.resolve("demo.json");
        Files.writeString(file, cities.getData().get("demo.json"));
        CityConfig city = ConfigLoader.loadCity(file);
        assertThat(city.city()).isEqualTo("demo");
        assertThat(city.model()).isEqualTo(Path.of("/opt/allot/models/demo"));
        assertThat(city.ladder()).isEqualTo(ConfigLoader.loadCity(Path.of("..", "config", "cities", "demo.json")).ladder());
    }

    @Test
    void anUnknownFieldIsRefused() throws Exception {
        JsonNode typo = new YAMLMapper().readTree("""
                apiVersion: v1
                kind: Service
                metadata: { name: x }
                spec: { selector: { a: b }, ports: [ { port: 80, targetPrt: http } ] }
                """);
        try {
            strict(typo, Path.of("inline"));
            fail("a misspelt field was accepted");
        } catch (AssertionError e) {
            assertThat(e).hasMessageContaining("targetPrt");
        }
    }
}
