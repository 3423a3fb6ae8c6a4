package dev.allot.control.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A Lua script called by its SHA-1 ({@code EVALSHA}), so each call carries the arguments, not the script text.
 * A node that does not know it yet (first call, a restarted or new cluster node) answers NOSCRIPT: the call is
 * repeated once with {@code EVAL}, which loads it there.
 */
final class LuaScript {

    private final String text;
    private final String sha;

    LuaScript(String text) {
        this.text = text;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }

    String sha() {
        return sha;
    }

    <T> CompletionStage<T> run(RedisLink redis, ScriptOutputType type, String[] keys, String... args) {
        return RedisLink.orElseOn(redis.<T>call(r -> r.evalsha(sha, type, keys, args)),
                RedisNoScriptException.class::isInstance, () -> redis.<T>call(r -> r.eval(text, type, keys, args)));
    }

    /**
     * The same call with arguments that are a {@code String} (sent as UTF-8) or a {@code byte[]} (sent as it is,
     * not copied into a string first: a decision record's JSON).
     */
    <T> CompletionStage<T> run(RedisLink redis, Supplier<CommandOutput<String, String, T>> output, List<String> keys,
                               List<Object> args) {
        return RedisLink.orElseOn(
                redis.<T>call(r -> r.dispatch(CommandType.EVALSHA, output.get(), arguments(sha, keys, args))),
                RedisNoScriptException.class::isInstance,
                () -> redis.<T>call(r -> r.dispatch(CommandType.EVAL, output.get(), arguments(text, keys, args))));
    }

    private static CommandArgs<String, String> arguments(String script, List<String> keys, List<Object> args) {
        CommandArgs<String, String> c = new CommandArgs<>(StringCodec.UTF8).addValue(script).add(keys.size());
        for (String key : keys) {
            c.addKey(key);
        }
        for (Object arg : args) {
            if (arg instanceof byte[] bytes) {
                c.add(bytes);
            } else {
                c.addValue((String) arg);
            }
        }
        return c;
    }
}
