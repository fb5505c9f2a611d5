#include "model.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace yj {

// A read-only shared mapping of a whole file; pages come from the page cache, so the Java loader's reads and
// ours share memory, and several engines on one checkpoint map it once each at no extra RAM.
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw EngineError(path + ": cannot open: " + std::strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int err = errno;
            ::close(fd);
            throw EngineError(path + ": cannot stat: " + std::strerror(err));
        }
        size_ = (size_t)st.st_size;
        if (size_ > 0) {
            void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
            if (p == MAP_FAILED) {
                int err = errno;
                ::close(fd);
                throw EngineError(path + ": cannot mmap: " + std::strerror(err));
            }
            data_ = static_cast<const uint8_t*>(p);
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (data_) munmap(const_cast<uint8_t*>(data_), size_);
    }
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }

private:
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                mant <<= 1;
                e++;
            } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3FF) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | mant << 13;
    } else {
        bits = sign | (exp - 15 + 127) << 23 | mant << 13;
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

Weights::Weights(const Config& c, const std::vector<std::string>& files, const std::vector<TensorSpec>& tensors) {
    if (tensors.size() != tensors_expected(c)) {
        throw EngineError("expected " + std::to_string(tensors_expected(c)) + " tensors, got "
                          + std::to_string(tensors.size()));
    }
    for (const auto& f : files) maps_.push_back(std::make_unique<MappedFile>(f));
    size_t i = 0;
    auto next = [&]() {
        const TensorSpec& t = tensors[i++];
        if (t.file < 0 || (size_t)t.file >= files.size()) throw EngineError("tensor file index out of range");
        return resolve(t, files[t.file]);
    };
    embed = next();
    for (int l = 0; l < c.layers; l++) {
        LayerWeights w;
        w.inputNorm = next();
        w.wq = next();
        w.wk = next();
        w.wv = next();
        w.wo = next();
        w.postNorm = next();
        w.wGate = next();
        w.wUp = next();
        w.wDown = next();
        if (c.qkvBias) {
            w.bq = next();
            w.bk = next();
            w.bv = next();
        }
        layers.push_back(w);
    }
    norm = next();
    lmHead = next();
    // Per decode step every weight is read once except the embedding table (one row per token); a tied
    // lm_head is that table, read whole by the output projection.
    bytes_ = 0;
    for (size_t t = 1; t < tensors.size(); t++) bytes_ += tensors[t].elements * 4;
}

Weights::~Weights() = default;

void Weights::release_matrix(const float* w) {
    if (w == embed) return;  // a tied lm_head is the embedding table, still read for token lookups
    for (auto& o : owned_) {
        if (o.get() == w) {
            o.reset();
            return;
        }
    }
}

const float* Weights::resolve(const TensorSpec& t, const std::string& path) {
    for (const auto& s : seen_) {
        if (s.first.first == t.file && s.first.second == t.offset) return s.second;
    }
    const MappedFile& m = *maps_[t.file];
    int64_t width = t.dtype == DType::F32 ? 4 : 2;
    if (t.offset < 0 || t.elements < 0 || t.elements > (int64_t)(m.size() / width)
        || (uint64_t)t.offset + (uint64_t)(t.elements * width) > m.size()) {
        throw EngineError(path + ": tensor at byte " + std::to_string(t.offset) + " with "
                          + std::to_string(t.elements) + " elements runs past the end of the file ("
                          + std::to_string(m.size()) + " bytes)");
    }
    const uint8_t* src = m.data() + t.offset;
    const float* out;
    if (t.dtype == DType::F32 && t.offset % 4 == 0) {
        out = reinterpret_cast<const float*>(src);  // used in place
    } else {
        std::unique_ptr<float[]> buf(new float[t.elements > 0 ? t.elements : 1]);
        for (int64_t e = 0; e < t.elements; e++) {
            if (t.dtype == DType::F32) {
                std::memcpy(&buf[e], src + 4 * e, 4);
            } else {
                uint16_t h;
                std::memcpy(&h, src + 2 * e, 2);
                if (t.dtype == DType::F16) {
                    buf[e] = half_to_float(h);
                } else {
                    uint32_t bits = (uint32_t)h << 16;
                    std::memcpy(&buf[e], &bits, 4);
                }
            }
        }
        out = buf.get();
        owned_.push_back(std::move(buf));
    }
    seen_.push_back({{t.file, t.offset}, out});
    return out;
}

}  // namespace yj
