package dev.allot.scoring;

/** A model file or model card that cannot be used; the message names the file and what was expected. */
public final class ModelFormatException extends RuntimeException {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
