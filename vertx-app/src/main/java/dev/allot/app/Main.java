package dev.allot.app;

import dev.allot.app.cli.DemoModelCommand;
import dev.allot.app.cli.ExportCommand;
import dev.allot.app.cli.ReplayCommand;
import dev.allot.app.cli.ServeCommand;
import dev.allot.app.cli.SolveLambdaCommand;
import dev.allot.app.cli.TrainCommand;
import picocli.CommandLine.Command;

import java.util.Set;
import picocli.CommandLine;

/**
 * {@code java -jar allot.jar <command>}: the service and the daily loop's commands. The offline tools that
 * need the simulator or OR-Tools are added by {@code allot-tools.jar}, so the serving jar never carries them.
 */
@Command(name = "allot", mixinStandardHelpOptions = true, version = "allot 0.1.0",
        description = "Real-time coupon decisioning.",
        subcommands = {ServeCommand.class, ExportCommand.class, TrainCommand.class, SolveLambdaCommand.class,
                ReplayCommand.class, DemoModelCommand.class})
public final class Main implements Runnable {

    /** Subcommands that only {@code allot-tools.jar} has. */
    private static final Set<String> OFFLINE_TOOLS = Set.of("simulate", "evaluate");

    public static void main(String[] args) {
        System.exit(execute(new CommandLine(new Main()), args));
    }

    /** Runs {@code cli} with the error handling every allot jar shares; returns the exit code. */
    public static int execute(CommandLine cli, String... args) {
        // Bad arguments and failures end with one line, not a usage page or a stack trace.
        cli.setParameterExceptionHandler((e, args1) -> {
            if (args1.length > 0 && OFFLINE_TOOLS.contains(args1[0]) && !cli.getSubcommands().containsKey(args1[0])) {
                e.getCommandLine().getErr().println("allot: " + args1[0] + " is in the tools jar, which the service"
                        + " does not carry: java -jar tools/target/allot-tools.jar " + args1[0] + " --help");
                return 2;
            }
            e.getCommandLine().getErr().println("allot: " + e.getMessage() + " (see --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable cause = e;
            while ((cause instanceof java.util.concurrent.ExecutionException
                    || cause instanceof java.util.concurrent.CompletionException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            commandLine.getErr().println("allot: " + cause.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
