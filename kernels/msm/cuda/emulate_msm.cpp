// Host emulation of msm.cu, for machines without a GPU: compiles the device code with g++
// and runs its launches on the CPU, one emulated thread after another, in the order the
// launch sequence at the top of msm.cu gives. It reads the cases that
// `cargo run --release -p bitai-msm --example msm_emulation_cases -- FILE` writes (scalars,
// points, window width, and the CPU MSM's result in affine Montgomery limbs) and requires
// the same bits.
//
// This checks the port of the arithmetic and of the bucket method. It does not check nvcc's
// code generation or a GPU. Within a launch, threads write only their own outputs, except
// msm_count and msm_scatter, whose atomicAdd makes the slot order within a bucket depend on
// the schedule; the sums are the same group element in any order, and the result is
// compared in affine coordinates, so any schedule gives the bits of this sequential one.
//
// Build and run (kernels/msm/cuda/ci.sh does):
//   g++ -O2 -std=c++17 -Wall -Werror kernels/msm/cuda/emulate_msm.cpp -o emulate_msm
//   ./emulate_msm FILE
#include <cstdio>
#include <cstdlib>
#include <vector>

// The CUDA keywords and built-ins msm.cu uses, for the host.
#define __global__
#define __device__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __constant__ static const
struct Dim {
    unsigned x;
};
static Dim blockIdx, blockDim, threadIdx;
static unsigned atomicAdd(unsigned *p, unsigned v) {
    unsigned old = *p;
    *p += v;
    return old;
}

#include "msm.cu"

static const u32 BLOCK = 128;

// Runs `kernel` for every thread of ceil(threads / BLOCK) blocks.
template <class K> static void launch(u64 threads, K kernel) {
    blockDim.x = BLOCK;
    for (u64 b = 0; b < (threads + BLOCK - 1) / BLOCK; b++) {
        for (u32 t = 0; t < BLOCK; t++) {
            blockIdx.x = (u32)b;
            threadIdx.x = t;
            kernel();
        }
    }
}

static std::vector<u64> input;
static size_t cursor_at = 0;

static u64 next() {
    if (cursor_at >= input.size()) {
        fprintf(stderr, "emulate_msm: the case file ends inside a case\n");
        exit(2);
    }
    return input[cursor_at++];
}

// `words` 64-bit words as twice as many 32-bit limbs, little-endian.
static void read_limbs(u32 *out, size_t words) {
    for (size_t i = 0; i < words; i++) {
        u64 w = next();
        out[2 * i] = (u32)w;
        out[2 * i + 1] = (u32)(w >> 32);
    }
}

static void read_fq(Fq &x) { read_limbs(x.v, 4); }
static void read_fq(Fq2 &x) {
    read_limbs(x.c0.v, 4);
    read_limbs(x.c1.v, 4);
}

static bool same(const Fq &a, const Fq &b) { return fq_eq(a, b); }
static bool same(const Fq2 &a, const Fq2 &b) { return fq2_eq(a, b); }

// The launch sequence of msm.cu for one case; true when the result has the expected bits.
template <class F, class BucketSum, class WindowSum, class Final>
static bool run_case(u32 n, u32 c, u32 segments, BucketSum bucket_kernel,
                     WindowSum window_kernel, Final final_kernel) {
    std::vector<u32> scalars(LIMBS * (size_t)n), infinity(n);
    for (u32 i = 0; i < n; i++) read_limbs(&scalars[LIMBS * (size_t)i], 4);
    for (u32 i = 0; i < n; i++) infinity[i] = (u32)next();
    std::vector<Affine<F>> points(n);
    for (u32 i = 0; i < n; i++) {
        read_fq(points[i].x);
        read_fq(points[i].y);
    }
    u32 want_infinity = (u32)next();
    Affine<F> want;
    read_fq(want.x);
    read_fq(want.y);

    u32 windows = 254 / c + 1, buckets = windows << (c - 1), total = windows * n;
    std::vector<u32> keys(total), counts(buckets, 0), offsets(buckets + 1), cur(buckets);
    std::vector<u32> entries(total);
    launch(n, [&] { msm_digits(scalars.data(), infinity.data(), n, c, windows, keys.data()); });
    launch(total, [&] { msm_count(keys.data(), total, counts.data()); });
    launch(1, [&] { msm_scan(counts.data(), buckets, offsets.data(), cur.data()); });
    launch(total, [&] { msm_scatter(keys.data(), total, n, cur.data(), entries.data()); });
    std::vector<Xyzz<F>> sums(buckets), partials(windows * segments);
    launch(buckets, [&] {
        bucket_kernel(points.data(), entries.data(), offsets.data(), buckets, sums.data());
    });
    launch(windows * segments,
           [&] { window_kernel(sums.data(), windows, c, segments, partials.data()); });
    u32 got_infinity = 7;
    Affine<F> got;
    launch(1, [&] { final_kernel(partials.data(), windows, c, segments, &got_infinity, &got); });
    if (got_infinity != want_infinity) return false;
    return want_infinity == 1 || (same(got.x, want.x) && same(got.y, want.y));
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: emulate_msm CASES\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    u64 word;
    while (fread(&word, sizeof word, 1, f) == 1) input.push_back(word);
    fclose(f);

    u64 cases = next(), failed = 0, g1 = 0, g2 = 0;
    for (u64 k = 0; k < cases; k++) {
        u32 group = (u32)next(), n = (u32)next(), c = (u32)next(), segments = (u32)next();
        bool ok;
        if (group == 1) {
            g1++;
            ok = run_case<Fq>(n, c, segments, msm_bucket_sum_g1, msm_window_sum_g1,
                              msm_final_g1);
        } else {
            g2++;
            ok = run_case<Fq2>(n, c, segments, msm_bucket_sum_g2, msm_window_sum_g2,
                               msm_final_g2);
        }
        if (!ok) {
            failed++;
            fprintf(stderr, "case %llu (G%u, n = %u, c = %u, segments = %u): bits differ\n",
                    (unsigned long long)k, group, n, c, segments);
        }
    }
    if (cursor_at != input.size()) {
        fprintf(stderr, "emulate_msm: %zu words left after the cases\n",
                input.size() - cursor_at);
        return 2;
    }
    printf("emulate_msm: %llu cases (%llu G1, %llu G2), %llu differ from the CPU MSM\n",
           (unsigned long long)cases, (unsigned long long)g1, (unsigned long long)g2,
           (unsigned long long)failed);
    return failed == 0 ? 0 : 1;
}
