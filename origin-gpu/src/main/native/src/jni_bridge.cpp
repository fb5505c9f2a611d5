// JNI entry points of yunjing.origin.engine.jni.NativeBindings. Java has validated every shape, size, token
// and handle before calling (NativeEngine); the checks here are a second line so that a bug on the Java side
// becomes an exception, never a crash. No C++ exception crosses this boundary.
#include "engine.h"

#include <jni.h>

#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace {

struct EngineHandle {
    std::unique_ptr<yj::Backend> backend;
    std::mutex mu;  // one step at a time: the backend's scratch buffers and thread pool are shared
    int vocab;
};

void throw_java(JNIEnv* env, const char* cls, const std::string& msg) {
    if (env->ExceptionCheck()) return;
    jclass c = env->FindClass(cls);
    if (c) env->ThrowNew(c, msg.c_str());
}

template <typename F>
auto guarded(JNIEnv* env, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const yj::EngineError& e) {
        throw_java(env, "java/lang/IllegalStateException", e.what());
    } catch (const std::bad_alloc&) {
        throw_java(env, "java/lang/OutOfMemoryError", "native engine: out of memory");
    } catch (const std::exception& e) {
        throw_java(env, "java/lang/IllegalStateException", std::string("native engine: ") + e.what());
    } catch (...) {
        throw_java(env, "java/lang/IllegalStateException", "native engine: unknown error");
    }
    return decltype(f())();
}

template <typename T, typename A, typename Get, typename Rel>
std::vector<T> copy_array(JNIEnv* env, A arr, Get get, Rel rel) {
    if (!arr) throw yj::EngineError("null array");
    jsize n = env->GetArrayLength(arr);
    std::vector<T> out(n);
    auto* p = (env->*get)(arr, nullptr);
    if (!p) throw yj::EngineError("cannot read array");
    for (jsize i = 0; i < n; i++) out[i] = (T)p[i];
    (env->*rel)(arr, p, JNI_ABORT);
    return out;
}

std::vector<int> ints(JNIEnv* env, jintArray a) {
    return copy_array<int>(env, a, &JNIEnv::GetIntArrayElements, &JNIEnv::ReleaseIntArrayElements);
}
std::vector<int64_t> longs(JNIEnv* env, jlongArray a) {
    return copy_array<int64_t>(env, a, &JNIEnv::GetLongArrayElements, &JNIEnv::ReleaseLongArrayElements);
}
std::vector<float> floats(JNIEnv* env, jfloatArray a) {
    return copy_array<float>(env, a, &JNIEnv::GetFloatArrayElements, &JNIEnv::ReleaseFloatArrayElements);
}

std::string utf(JNIEnv* env, jstring s) {
    if (!s) throw yj::EngineError("null string");
    const char* p = env->GetStringUTFChars(s, nullptr);
    if (!p) throw yj::EngineError("cannot read string");
    std::string out(p);
    env->ReleaseStringUTFChars(s, p);
    return out;
}

void* direct(JNIEnv* env, jobject buf, int64_t bytes, const char* what) {
    if (!buf) throw yj::EngineError(std::string(what) + ": null buffer");
    if (bytes == 0) return nullptr;  // nothing will be read or written (a prefill chunk without logits)
    void* p = env->GetDirectBufferAddress(buf);
    jlong cap = env->GetDirectBufferCapacity(buf);
    if (!p || cap < 0) throw yj::EngineError(std::string(what) + ": not a direct buffer");
    if (cap < bytes) {
        throw yj::EngineError(std::string(what) + ": buffer holds " + std::to_string(cap) + " bytes, step needs "
                              + std::to_string(bytes));
    }
    return p;
}

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_yunjing_origin_engine_jni_NativeBindings_compiledBackends(JNIEnv* env, jclass) {
#ifdef YJ_WITH_CUDA
    return env->NewStringUTF("cpu,cuda");
#else
    return env->NewStringUTF("cpu");
#endif
}

JNIEXPORT jstring JNICALL Java_yunjing_origin_engine_jni_NativeBindings_cudaUnavailability(JNIEnv* env, jclass) {
#ifdef YJ_WITH_CUDA
    std::string why;
    if (yj::cuda_device_count(&why) > 0) return nullptr;
    return env->NewStringUTF(why.c_str());
#else
    return env->NewStringUTF("the native library was built without CUDA (nvcc not found at build time)");
#endif
}

// {used, total} bytes of the CUDA device the CUDA backend runs on.
JNIEXPORT jlongArray JNICALL Java_yunjing_origin_engine_jni_NativeBindings_cudaMemoryInfo(JNIEnv* env, jclass) {
    return guarded(env, [&]() -> jlongArray {
#ifdef YJ_WITH_CUDA
        int64_t freeBytes = 0, totalBytes = 0;
        yj::cuda_memory_info(&freeBytes, &totalBytes);
        jlong out[2] = {(jlong)(totalBytes - freeBytes), (jlong)totalBytes};
        jlongArray a = env->NewLongArray(2);
        if (!a) throw std::bad_alloc();
        env->SetLongArrayRegion(a, 0, 2, out);
        return a;
#else
        throw yj::EngineError("the native library was built without CUDA (nvcc not found at build time)");
#endif
    });
}

JNIEXPORT jlong JNICALL Java_yunjing_origin_engine_jni_NativeBindings_create(
        JNIEnv* env, jclass, jstring backend, jintArray shape, jfloat eps, jboolean qkvBias, jfloatArray invFreq,
        jobjectArray files, jintArray tensorFiles, jlongArray tensorOffsets, jintArray tensorDtypes,
        jlongArray tensorElements, jint threads) {
    return guarded(env, [&]() -> jlong {
        std::string which = utf(env, backend);
        std::vector<int> s = ints(env, shape);
        if (s.size() != 8) throw yj::EngineError("shape: expected 8 ints");
        for (int v : s) if (v <= 0) throw yj::EngineError("shape: every dimension must be positive");
        auto c = std::make_unique<yj::Config>();
        c->hidden = s[0];
        c->intermediate = s[1];
        c->layers = s[2];
        c->heads = s[3];
        c->kvHeads = s[4];
        c->headDim = s[5];
        c->vocab = s[6];
        c->maxPositions = s[7];
        c->eps = eps;
        c->qkvBias = qkvBias;
        c->invFreq = floats(env, invFreq);
        if (c->heads % c->kvHeads != 0 || c->headDim % 2 != 0 || (int)c->invFreq.size() != c->headDim / 2) {
            throw yj::EngineError("shape: inconsistent heads / head_dim / RoPE frequencies");
        }
        if (!files) throw yj::EngineError("null files");
        std::vector<std::string> paths;
        for (jsize i = 0, n = env->GetArrayLength(files); i < n; i++) {
            jstring f = (jstring)env->GetObjectArrayElement(files, i);
            paths.push_back(utf(env, f));
            env->DeleteLocalRef(f);
        }
        std::vector<int> tf = ints(env, tensorFiles), td = ints(env, tensorDtypes);
        std::vector<int64_t> to = longs(env, tensorOffsets), te = longs(env, tensorElements);
        if (tf.size() != td.size() || tf.size() != to.size() || tf.size() != te.size()) {
            throw yj::EngineError("tensor arrays differ in length");
        }
        std::vector<yj::TensorSpec> specs;
        for (size_t i = 0; i < tf.size(); i++) {
            if (td[i] < 0 || td[i] > 2) throw yj::EngineError("unknown dtype code " + std::to_string(td[i]));
            specs.push_back({tf[i], to[i], (yj::DType)td[i], te[i]});
        }
        auto w = std::make_unique<yj::Weights>(*c, paths, specs);
        auto h = std::make_unique<EngineHandle>();
        h->vocab = c->vocab;
        if (which == "cpu") {
            h->backend = yj::make_cpu_backend(std::move(c), std::move(w), threads > 0 ? threads : 1);
#ifdef YJ_WITH_CUDA
        } else if (which == "cuda") {
            h->backend = yj::make_cuda_backend(std::move(c), std::move(w));
#endif
        } else {
            throw yj::EngineError("backend '" + which + "' is not compiled into this library");
        }
        return (jlong)(intptr_t)h.release();
    });
}

JNIEXPORT void JNICALL Java_yunjing_origin_engine_jni_NativeBindings_destroy(JNIEnv*, jclass, jlong engine) {
    delete (EngineHandle*)(intptr_t)engine;
}

JNIEXPORT jlong JNICALL Java_yunjing_origin_engine_jni_NativeBindings_newSequence(JNIEnv* env, jclass, jlong engine,
                                                                                jint capacity) {
    return guarded(env, [&]() -> jlong {
        auto* h = (EngineHandle*)(intptr_t)engine;
        if (!h || capacity < 1) throw yj::EngineError("newSequence: bad engine or capacity");
        std::lock_guard<std::mutex> lock(h->mu);
        return (jlong)(intptr_t)h->backend->new_sequence(capacity);
    });
}

JNIEXPORT jlong JNICALL Java_yunjing_origin_engine_jni_NativeBindings_forkSequence(JNIEnv* env, jclass, jlong engine,
                                                                                 jlong source, jint length,
                                                                                 jint capacity) {
    return guarded(env, [&]() -> jlong {
        auto* h = (EngineHandle*)(intptr_t)engine;
        auto* src = (const yj::Sequence*)(intptr_t)source;
        if (!h || !src || length < 0 || length > src->length || capacity < 1 || capacity < length)
            throw yj::EngineError("forkSequence: bad engine, source, length or capacity");
        std::lock_guard<std::mutex> lock(h->mu);
        return (jlong)(intptr_t)h->backend->fork(src, length, capacity);
    });
}

JNIEXPORT void JNICALL Java_yunjing_origin_engine_jni_NativeBindings_freeSequence(JNIEnv* env, jclass, jlong engine,
                                                                               jlong seq) {
    guarded(env, [&]() -> int {
        auto* h = (EngineHandle*)(intptr_t)engine;
        std::lock_guard<std::mutex> lock(h->mu);
        delete (yj::Sequence*)(intptr_t)seq;
        return 0;
    });
}

// ints holds `rows` tokens then `nLogits` row indices; logits receives nLogits × vocab floats.
JNIEXPORT void JNICALL Java_yunjing_origin_engine_jni_NativeBindings_forward(JNIEnv* env, jclass, jlong engine,
                                                                          jlongArray seqs, jint rows, jobject ints,
                                                                          jint nLogits, jobject logits) {
    guarded(env, [&]() -> int {
        auto* h = (EngineHandle*)(intptr_t)engine;
        if (!h || rows < 1 || nLogits < 0 || nLogits > rows) throw yj::EngineError("forward: bad arguments");
        std::vector<int64_t> handles = longs(env, seqs);
        if ((int)handles.size() != rows) throw yj::EngineError("forward: sequence count differs from rows");
        const int* in = (const int*)direct(env, ints, 4LL * (rows + nLogits), "tokens");
        float* out = (float*)direct(env, logits, 4LL * nLogits * h->vocab, "logits");
        std::vector<yj::Sequence*> ss(rows);
        for (int r = 0; r < rows; r++) {
            ss[r] = (yj::Sequence*)(intptr_t)handles[r];
            if (!ss[r]) throw yj::EngineError("forward: null sequence");
        }
        for (int j = 0; j < nLogits; j++) {
            if (in[rows + j] < 0 || in[rows + j] >= rows) throw yj::EngineError("forward: logit row out of range");
        }
        std::lock_guard<std::mutex> lock(h->mu);
        h->backend->forward(ss.data(), in, rows, in + rows, nLogits, out);
        return 0;
    });
}

}  // extern "C"
