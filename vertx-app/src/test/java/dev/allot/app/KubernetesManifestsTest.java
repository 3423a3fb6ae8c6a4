package dev.allot.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.allot.engine.config.CityConfig;
import dev.allot.engine.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The manifests in k8s/ parse, agree with each other, and carry a city config the service accepts. */
class KubernetesManifestsTest {

    private static final Path K8S = Path.of("..", "k8s");

    private static List<JsonNode> documents(String file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class)
                .readValues(K8S.resolve(file).toFile())) {
            it.forEachRemaining(docs::add);
        }
        return docs;
    }

    @Test
    void deploymentMountsWhatTheServeCommandReadsAndProbesTheHealthEndpoints() throws IOException {
        JsonNode deployment = documents("deployment.yaml").get(0);
        assertThat(deployment.get("kind").asText()).isEqualTo("Deployment");
        JsonNode spec = deployment.get("spec");
        assertThat(spec.get("selector").get("matchLabels"))
                .isEqualTo(spec.get("template").get("metadata").get("labels"));
        JsonNode container = spec.get("template").get("spec").get("containers").get(0);
        List<String> args = new ArrayList<>();
        container.get("args").forEach(a -> args.add(a.asText()));
        List<String> mounts = new ArrayList<>();
        container.get("volumeMounts").forEach(m -> mounts.add(m.get("mountPath").asText()));
        assertThat(args).startsWith("serve");
        assertThat(mounts).contains(args.get(args.indexOf("--config-dir") + 1), args.get(args.indexOf("--rules-dir") + 1));
        assertThat(container.get("readinessProbe").get("httpGet").get("path").asText()).isEqualTo("/health/ready");
        assertThat(container.get("livenessProbe").get("httpGet").get("path").asText()).isEqualTo("/health/live");
        assertThat(container.get("ports").get(0).get("containerPort").asInt()).isEqualTo(8080);
        List<String> env = new ArrayList<>();
        container.get("env").forEach(e -> env.add(e.get("name").asText()));
        assertThat(env).contains("REDIS_URL", "ALLOT_ADMIN_TOKEN_FILE");
        // A JVM out of heap must die and be restarted, not linger half-alive with its buffer lost anyway.
        container.get("env").forEach(e -> {
            if (e.get("name").asText().equals("JAVA_TOOL_OPTIONS")) {
                assertThat(e.get("value").asText()).contains("-XX:+ExitOnOutOfMemoryError");
            }
        });
        assertThat(env).contains("JAVA_TOOL_OPTIONS");

        JsonNode service = documents("service.yaml").get(0);
        assertThat(service.get("spec").get("selector")).isEqualTo(spec.get("selector").get("matchLabels"));
        assertThat(service.get("spec").get("ports").get(0).get("targetPort").asText())
                .isEqualTo(container.get("ports").get(0).get("name").asText());
    }

    @Test
    void configMapCityConfigLoads(@TempDir Path dir) throws IOException {
        JsonNode configMap = documents("configmap.yaml").get(0);
        assertThat(configMap.get("kind").asText()).isEqualTo("ConfigMap");
        Path file = dir.resolve("demo.json");
        Files.writeString(file, configMap.get("data").get("demo.json").asText());
        CityConfig city = ConfigLoader.loadCity(file);
        assertThat(city.city()).isEqualTo("demo");
        assertThat(city.model()).isEqualTo(Path.of("/opt/allot/models/demo"));
        assertThat(city.ladder()).isEqualTo(ConfigLoader.loadCity(Path.of("..", "config", "cities", "demo.json")).ladder());
    }
}
