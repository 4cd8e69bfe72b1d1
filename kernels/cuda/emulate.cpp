// Host emulation of kernels.cu, for machines without a GPU: compiles the device code with
// g++ and runs the global_avg_pool, simple_rnn_step and lstm_step kernels on the CPU, one
// emulated thread after another, launching them the way src/cuda/recurrent.rs does (one
// launch per step, the state double-buffered). It reads the cases that
// `cargo run -p bitai-kernels --example emulation_cases -- FILE` writes (inputs with the CPU
// reference's outputs and saturation counts) and requires the same bits and counts.
//
// This checks that the integer arithmetic was ported faithfully. It does not check nvcc's
// code generation or a GPU: only tests/cuda_vs_cpu.rs on a device does. Within one launch
// every thread writes only its own outputs and reads nothing another thread of the launch
// writes, so running the threads in sequence gives what any parallel schedule gives.
//
// Build and run (ci.sh does): g++ -O2 -std=c++17 kernels/cuda/emulate.cpp -o emulate &&
// ./emulate FILE
#include <cstdio>
#include <cstdlib>
#include <vector>

// The CUDA keywords and built-ins kernels.cu uses, for the host.
#define __global__
#define __device__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __constant__
struct Dim { unsigned long long x; };
static Dim blockIdx, blockDim, threadIdx;
static unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) {
    unsigned long long old = *p;
    *p += v;
    return old;
}

#include "kernels.cu"

static const unsigned long long BLOCK = 256; // as src/cuda.rs

// Runs `kernel` for every thread of ceil(threads / BLOCK) blocks.
template <class F> static void launch(u64 threads, F kernel) {
    blockDim.x = BLOCK;
    for (u64 b = 0; b < (threads + BLOCK - 1) / BLOCK; b++) {
        for (u64 t = 0; t < BLOCK; t++) {
            blockIdx.x = b;
            threadIdx.x = t;
            kernel();
        }
    }
}

static std::vector<i64> input;
static size_t cursor = 0;

static i64 next() {
    if (cursor >= input.size()) {
        fprintf(stderr, "emulate: the case file ends inside a case\n");
        exit(2);
    }
    return input[cursor++];
}

static std::vector<i64> take(u64 n) {
    std::vector<i64> v(n);
    for (auto &x : v) x = next();
    return v;
}

// One global-pool case; true when the kernel gives the expected bits.
static bool global_pool_case() {
    u64 positions = next(), channels = next();
    std::vector<i64> x = take(positions * channels), want = take(channels);
    std::vector<i64> out(channels, 0);
    launch(channels, [&] { global_avg_pool(x.data(), positions, channels, out.data()); });
    return out == want;
}

// One SimpleRNN (gates 1) or LSTM (gates 4) case, launched as src/cuda/recurrent.rs does.
static bool recurrent_case(u64 gates, int index) {
    u64 steps = next(), input_dim = next(), units = next();
    bool return_sequences = next() != 0, has_bias = next() != 0;
    std::vector<i64> acts = take(10);
    u64 width = gates * units;
    std::vector<i64> x = take(steps * input_dim), kernel = take(input_dim * width),
                     recurrent = take(units * width), bias;
    if (has_bias) bias = take(width);
    std::vector<i64> want = take(next());
    u64 want_sats = (u64)next();
    std::vector<i64> out(want.size(), 7), h0(units, 0), h1(units, 0), c(units, 0);
    u64 dims[2] = {input_dim, units};
    u64 sats = 0;
    if (steps == 0) out.assign(out.size(), 0);
    for (u64 t = 0; t < steps; t++) {
        i64 *h_prev = t % 2 ? h1.data() : h0.data(), *h_next = t % 2 ? h0.data() : h1.data();
        u64 base = return_sequences ? t * units : 0;
        int emit = return_sequences || t + 1 == steps;
        const i64 *b = has_bias ? bias.data() : nullptr;
        if (gates == 1) {
            launch(units, [&] {
                simple_rnn_step(x.data(), t, dims, kernel.data(), recurrent.data(), b,
                                acts.data(), h_prev, h_next, out.data(), base, emit, &sats);
            });
        } else {
            launch(units, [&] {
                lstm_step(x.data(), t, dims, kernel.data(), recurrent.data(), b, acts.data(),
                          h_prev, h_next, c.data(), out.data(), base, emit, &sats);
            });
        }
    }
    if (out != want || sats != want_sats) {
        fprintf(stderr, "emulate: case %d (%s) differs; saturations %llu, expected %llu\n",
                index, gates == 1 ? "SimpleRNN" : "LSTM", sats, want_sats);
        return false;
    }
    return true;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: emulate CASE_FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    i64 v;
    while (fread(&v, sizeof v, 1, f) == 1) input.push_back(v);
    fclose(f);
    int cases = 0, differ = 0;
    while (cursor < input.size()) {
        i64 kind = next();
        cases++;
        bool ok;
        if (kind == 0) {
            ok = global_pool_case();
            if (!ok) fprintf(stderr, "emulate: case %d (global pool) differs\n", cases);
        } else if (kind == 1 || kind == 4) {
            ok = recurrent_case((u64)kind, cases);
        } else {
            fprintf(stderr, "emulate: unknown case kind %lld\n", kind);
            return 2;
        }
        differ += !ok;
    }
    printf("emulate: %d cases, %d differ from the CPU reference\n", cases, differ);
    return differ != 0 || cases == 0;
}
