package yunjing.origin.api;

import yunjing.origin.ModelSpec;
import yunjing.origin.sched.Scheduler;
import yunjing.origin.tokenizer.ChatFormat;

import java.util.Objects;

/**
 * A model as the API serves it: the id clients use, what to show in {@code /v1/models}, and the scheduler that
 * runs its generations.
 *
 * @param created  epoch seconds, the {@code created} field of the model object
 * @param revision informational, may be null
 * @param images   whether image content parts are refused (400) or dropped
 */
public record ServedModel(String id, String revision, long created, ChatFormat chatFormat, Scheduler scheduler,
                         int contextLength, ModelSpec.ImageParts images) {
    public ServedModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(chatFormat, "chatFormat");
        Objects.requireNonNull(scheduler, "scheduler");
    }
}
