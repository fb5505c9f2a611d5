package yunjing.origin.engine.jni;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips a test class (with the reason) where the native library is not built, so the build passes on a
 * machine without a C++ toolchain: {@code @ExtendWith(NativeLibraryBuilt.class)}.
 */
final class NativeLibraryBuilt implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return NativeLibrary.isAvailable()
                ? ConditionEvaluationResult.enabled("native library built")
                : ConditionEvaluationResult.disabled("native library not built, skipping: " + NativeLibrary.unavailabilityCause());
    }
}
