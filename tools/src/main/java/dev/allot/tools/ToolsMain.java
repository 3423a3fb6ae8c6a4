package dev.allot.tools;

import dev.allot.app.Main;
import picocli.CommandLine;

/**
 * {@code java -jar tools/target/allot-tools.jar <command>}: every subcommand of the service jar, plus the
 * offline tools that need the simulator, OR-Tools or the evaluation module ({@code simulate}, {@code evaluate}).
 */
public final class ToolsMain {

    private ToolsMain() {
    }

    public static void main(String[] args) {
        System.exit(Main.execute(commandLine(), args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("simulate", new SimulateCommand());
        cli.addSubcommand("evaluate", new EvaluateCommand());
        return cli;
    }
}
