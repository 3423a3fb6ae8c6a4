package dev.allot.app;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The service's classpath (what the serving jar is built from) carries neither OR-Tools nor the simulator:
 * they belong to the offline tools' jar. {@code .ci/run} checks the built jar itself the same way.
 */
class ServingClasspathTest {

    @Test
    void orToolsAndTheSimulatorAreNotOnTheServingClasspath() {
        assertThat(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)))
                .noneMatch(entry -> entry.contains("ortools") || entry.contains("allot-simulator")
                        || entry.contains("allot-evaluation") || entry.contains("allot-tools"));
        assertThatThrownBy(() -> Class.forName("com.google.ortools.Loader"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("dev.allot.simulator.Simulation"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThat(ClassLoader.getSystemResource("ortools-linux-x86-64")).isNull();
    }
}
