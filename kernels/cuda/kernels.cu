// CUDA kernels for bitai-kernels: the same integer arithmetic as the CPU reference
// (src/fixed.rs, src/nonlinear.rs, src/cpu/*.rs), one thread per output, so every output
// is the same sequential sum in the same order and gets the same bits as on the CPU.
//
// Compiled to PTX by `kernels/cuda/ci.sh` (nvcc 13.0 from PyPI, -arch=compute_80); the PTX
// is committed as kernels.ptx and embedded in the crate. Saturations are counted with
// atomicAdd on one 64-bit counter: a sum, so its value does not depend on thread order.

typedef long long i64;
typedef unsigned long long u64;
typedef __int128 i128;
typedef unsigned __int128 u128;

#define FRAC_BITS 32
#define ONE_RAW (1LL << 32)
#define I64_MAX 0x7fffffffffffffffLL
#define I64_MIN (-I64_MAX - 1LL)
#define I128_MAX ((i128)(((u128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

// Mirrors src/nonlinear.rs.
#define LN2_Q62 ((i128)3196577161300663915LL)
#define EXP_TERMS 20
#define EXP_MAX_INPUT_RAW 92288378626LL
#define EXP_MIN_INPUT_RAW (-98242467570LL)

// Activation kinds, as in src/cuda.rs.
#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_LEAKY 2
#define ACT_SIGMOID 3
#define ACT_TANH 4
#define ACT_SOFTMAX 5

__device__ __forceinline__ i64 saturate_i128(i128 v, int *sat) {
    if (v > (i128)I64_MAX) { *sat = 1; return I64_MAX; }
    if (v < (i128)I64_MIN) { *sat = 1; return I64_MIN; }
    return (i64)v;
}

// Round half up from 64 to 32 fraction bits, then saturate.
__device__ __forceinline__ i64 round_q64(i128 acc, int *sat) {
    const i128 half = (i128)1 << (FRAC_BITS - 1);
    if (acc > I128_MAX - half) { *sat = 1; return I64_MAX; }
    return saturate_i128((acc + half) >> FRAC_BITS, sat);
}

__device__ __forceinline__ i64 add_sat(i64 a, i64 b, int *sat) {
    i64 s = (i64)((u64)a + (u64)b);
    if (((a ^ s) & (b ^ s)) < 0) { *sat = 1; return b > 0 ? I64_MAX : I64_MIN; }
    return s;
}

__device__ __forceinline__ i64 sub_sat(i64 a, i64 b, int *sat) {
    i64 s = (i64)((u64)a - (u64)b);
    if (((a ^ b) & (a ^ s)) < 0) { *sat = 1; return b < 0 ? I64_MAX : I64_MIN; }
    return s;
}

__device__ __forceinline__ i64 mul_sat(i64 a, i64 b, int *sat) {
    return round_q64((i128)a * (i128)b, sat);
}

// Half away from zero; den > 0.
__device__ __forceinline__ i128 div_round_i128(i128 num, i128 den) {
    i128 half = den / 2;
    return num >= 0 ? (num + half) / den : -((-num + half) / den);
}

// The exact accumulator of src/cpu/linear.rs (Acc).
struct Acc {
    i128 sum;
    int overflowed;
};

__device__ __forceinline__ void acc_init(Acc *acc, const i64 *bias, u64 j) {
    acc->sum = bias ? ((i128)bias[j] << FRAC_BITS) : 0;
    acc->overflowed = 0;
}

__device__ __forceinline__ void acc_mac(Acc *acc, i64 a, i64 b) {
    i128 p = (i128)a * (i128)b;
    i128 s = (i128)((u128)acc->sum + (u128)p);
    int overflow = (acc->sum > 0 && p > 0 && s < 0) || (acc->sum < 0 && p < 0 && s >= 0);
    if (overflow) {
        acc->sum = p > 0 ? I128_MAX : I128_MIN;
        acc->overflowed = 1;
    } else {
        acc->sum = s;
    }
}

__device__ __forceinline__ i64 acc_finish(const Acc *acc, int *sat) {
    i64 v = round_q64(acc->sum, sat);
    if (acc->overflowed) *sat = 1;
    return v;
}

// Taylor coefficients floor(2^62 / n!), n = 0..20 (src/nonlinear.rs EXP_COEFFS_Q62).
__constant__ u64 EXP_COEFFS_Q62[EXP_TERMS + 1] = {
    4611686018427387904ULL, 4611686018427387904ULL, 2305843009213693952ULL,
    768614336404564650ULL, 192153584101141162ULL, 38430716820228232ULL,
    6405119470038038ULL, 915017067148291ULL, 114377133393536ULL,
    12708570377059ULL, 1270857037705ULL, 115532457973ULL,
    9627704831ULL, 740592679ULL, 52899477ULL,
    3526631ULL, 220414ULL, 12965ULL,
    720ULL, 37ULL, 1ULL,
};

// Horner's rule over the coefficients, truncating each step (src/nonlinear.rs).
__device__ u64 exp_reduced_q62(u64 r) {
    u64 p = EXP_COEFFS_Q62[EXP_TERMS];
    for (int n = EXP_TERMS - 1; n >= 0; n--) {
        p = EXP_COEFFS_Q62[n] + (u64)(((u128)p * (u128)r) >> 62);
    }
    return p;
}

__device__ i64 fx_exp(i64 x, int *sat) {
    if (x > EXP_MAX_INPUT_RAW) { *sat = 1; return I64_MAX; }
    if (x < EXP_MIN_INPUT_RAW) return 0;
    i128 x_q62 = (i128)x << 30;
    i128 k = x_q62 / LN2_Q62;
    i128 r = x_q62 - k * LN2_Q62;
    if (r < 0) { k -= 1; r += LN2_Q62; }
    u128 e_r = (u128)exp_reduced_q62((u64)r);
    int shift = 30 - (int)k;
    u128 raw = shift > 0 ? (e_r + ((u128)1 << (shift - 1))) >> shift : e_r << (-shift);
    if (raw > (u128)I64_MAX) { *sat = 1; return I64_MAX; }
    return (i64)raw;
}

__device__ __forceinline__ u128 div_round_u128(u128 num, u128 den) {
    return (num + den / 2) / den;
}

__device__ i64 fx_sigmoid(i64 x) {
    int ignored = 0;
    i64 neg_abs = x >= 0 ? -x : x;
    u128 e = (u128)fx_exp(neg_abs, &ignored);
    u128 one = (u128)ONE_RAW;
    u128 den = one + e;
    return (i64)(x >= 0 ? div_round_u128(one << FRAC_BITS, den) : div_round_u128(e << FRAC_BITS, den));
}

__device__ i64 fx_tanh(i64 x) {
    int ignored = 0;
    i128 a = (i128)x;
    if (a < 0) a = -a;
    i128 arg = -2 * a;
    i128 floor = (i128)EXP_MIN_INPUT_RAW - 1;
    if (arg < floor) arg = floor;
    u128 e = (u128)fx_exp((i64)arg, &ignored);
    u128 one = (u128)ONE_RAW;
    i64 raw = (i64)div_round_u128((one - e) << FRAC_BITS, one + e);
    return x < 0 ? -raw : raw;
}

// src/cpu/elementwise.rs: activate().
__device__ i64 activate(int kind, i64 slope, i64 max_value, int has_max, i64 threshold, i64 x, int *sat) {
    switch (kind) {
    case ACT_RELU:
        if (x < threshold) {
            if (slope == 0) return 0;
            int s1 = 0, s2 = 0;
            i64 d = sub_sat(x, threshold, &s1);
            i64 v = mul_sat(d, slope, &s2);
            if (s1 || s2) *sat = 1;
            return v;
        }
        return (has_max && x > max_value) ? max_value : x;
    case ACT_LEAKY:
        return x >= 0 ? x : mul_sat(x, slope, sat);
    case ACT_SIGMOID:
        return fx_sigmoid(x);
    case ACT_TANH:
        return fx_tanh(x);
    default:
        return x;
    }
}

__device__ __forceinline__ void count(u64 *sats, int sat) {
    if (sat) atomicAdd(sats, 1ULL);
}

__device__ __forceinline__ u64 thread_index() {
    return (u64)blockIdx.x * (u64)blockDim.x + (u64)threadIdx.x;
}

extern "C" __global__ void dense(const i64 *x, const i64 *kernel, const i64 *bias, i64 *out,
                                 u64 rows, u64 in_dim, u64 out_dim, u64 *sats) {
    u64 idx = thread_index();
    if (idx >= rows * out_dim) return;
    u64 r = idx / out_dim, j = idx % out_dim;
    Acc acc;
    acc_init(&acc, bias, j);
    for (u64 i = 0; i < in_dim; i++) acc_mac(&acc, x[r * in_dim + i], kernel[i * out_dim + j]);
    int sat = 0;
    out[idx] = acc_finish(&acc, &sat);
    count(sats, sat);
}

// Geometry, in the order of src/ops.rs Window2d.
struct Geom {
    i64 in_h, in_w, channels, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    i64 pad_top, pad_left, out_h, out_w;
};

__device__ __forceinline__ Geom load_geom(const i64 *g) {
    Geom r = {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12]};
    return r;
}

extern "C" __global__ void conv2d(const i64 *x, const i64 *geom, const i64 *kernel,
                                  const i64 *bias, i64 *out, u64 filters, u64 *sats) {
    Geom g = load_geom(geom);
    u64 idx = thread_index();
    if (idx >= (u64)(g.out_h * g.out_w) * filters) return;
    i64 f = (i64)(idx % filters), pixel = (i64)(idx / filters);
    i64 oy = pixel / g.out_w, ox = pixel % g.out_w, c = g.channels;
    Acc acc;
    acc_init(&acc, bias, (u64)f);
    for (i64 ky = 0; ky < g.kernel_h; ky++) {
        i64 iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top;
        if (iy < 0 || iy >= g.in_h) continue;
        for (i64 kx = 0; kx < g.kernel_w; kx++) {
            i64 ix = ox * g.stride_w + kx * g.dilation_w - g.pad_left;
            if (ix < 0 || ix >= g.in_w) continue;
            const i64 *xp = x + (iy * g.in_w + ix) * c;
            const i64 *kp = kernel + (ky * g.kernel_w + kx) * c * (i64)filters + f;
            for (i64 ci = 0; ci < c; ci++) acc_mac(&acc, xp[ci], kp[ci * (i64)filters]);
        }
    }
    int sat = 0;
    out[idx] = acc_finish(&acc, &sat);
    count(sats, sat);
}

extern "C" __global__ void depthwise_conv2d(const i64 *x, const i64 *geom, const i64 *kernel,
                                            const i64 *bias, i64 *out, u64 multiplier,
                                            u64 *sats) {
    Geom g = load_geom(geom);
    i64 out_c = g.channels * (i64)multiplier;
    u64 idx = thread_index();
    if (idx >= (u64)(g.out_h * g.out_w * out_c)) return;
    i64 o = (i64)idx % out_c, pixel = (i64)idx / out_c;
    i64 oy = pixel / g.out_w, ox = pixel % g.out_w;
    Acc acc;
    acc_init(&acc, bias, (u64)o);
    for (i64 ky = 0; ky < g.kernel_h; ky++) {
        i64 iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top;
        if (iy < 0 || iy >= g.in_h) continue;
        for (i64 kx = 0; kx < g.kernel_w; kx++) {
            i64 ix = ox * g.stride_w + kx * g.dilation_w - g.pad_left;
            if (ix < 0 || ix >= g.in_w) continue;
            acc_mac(&acc, x[(iy * g.in_w + ix) * g.channels + o / (i64)multiplier],
                    kernel[(ky * g.kernel_w + kx) * out_c + o]);
        }
    }
    int sat = 0;
    out[idx] = acc_finish(&acc, &sat);
    count(sats, sat);
}

// mode 0: max, 1: average.
extern "C" __global__ void pool2d(const i64 *x, const i64 *geom, i64 *out, int mode) {
    Geom g = load_geom(geom);
    u64 idx = thread_index();
    if (idx >= (u64)(g.out_h * g.out_w * g.channels)) return;
    i64 ch = (i64)idx % g.channels, pixel = (i64)idx / g.channels;
    i64 oy = pixel / g.out_w, ox = pixel % g.out_w;
    i64 best = I64_MIN;
    i128 sum = 0, n = 0;
    for (i64 ky = 0; ky < g.kernel_h; ky++) {
        i64 iy = oy * g.stride_h + ky * g.dilation_h - g.pad_top;
        if (iy < 0 || iy >= g.in_h) continue;
        for (i64 kx = 0; kx < g.kernel_w; kx++) {
            i64 ix = ox * g.stride_w + kx * g.dilation_w - g.pad_left;
            if (ix < 0 || ix >= g.in_w) continue;
            i64 v = x[(iy * g.in_w + ix) * g.channels + ch];
            if (v > best) best = v;
            sum += v;
            n += 1;
        }
    }
    if (mode == 0) {
        out[idx] = best;
    } else {
        out[idx] = (i64)div_round_i128(sum, n > 0 ? n : 1);
    }
}

// Elementwise activations; softmax is one thread per row of `last_dim`.
extern "C" __global__ void activation(i64 *data, u64 len, u64 last_dim, int kind, i64 slope,
                                      i64 max_value, int has_max, i64 threshold, u64 *sats) {
    u64 idx = thread_index();
    if (kind == ACT_SOFTMAX) {
        if (idx >= len / last_dim) return;
        i64 *row = data + idx * last_dim;
        i64 m = I64_MIN;
        for (u64 i = 0; i < last_dim; i++) if (row[i] > m) m = row[i];
        i128 sum = 0;
        for (u64 i = 0; i < last_dim; i++) {
            int s = 0, ignored = 0;
            i64 d = sub_sat(row[i], m, &s);
            if (s) atomicAdd(sats, 1ULL);
            row[i] = fx_exp(d, &ignored);
            sum += row[i];
        }
        for (u64 i = 0; i < last_dim; i++) row[i] = (i64)div_round_i128((i128)row[i] << FRAC_BITS, sum);
        return;
    }
    if (idx >= len) return;
    int sat = 0;
    data[idx] = activate(kind, slope, max_value, has_max, threshold, data[idx], &sat);
    count(sats, sat);
}

extern "C" __global__ void affine_channels(i64 *data, u64 len, const i64 *scale,
                                           const i64 *shift, u64 channels, u64 *sats) {
    u64 idx = thread_index();
    if (idx >= len) return;
    u64 c = idx % channels;
    int s1 = 0, s2 = 0;
    i64 m = mul_sat(data[idx], scale[c], &s1);
    data[idx] = add_sat(m, shift[c], &s2);
    count(sats, s1 || s2);
}

// op 0: add, 1: multiply.
extern "C" __global__ void binary(const i64 *a, const i64 *b, i64 *out, u64 len, int op,
                                  u64 *sats) {
    u64 idx = thread_index();
    if (idx >= len) return;
    int sat = 0;
    out[idx] = op == 0 ? add_sat(a[idx], b[idx], &sat) : mul_sat(a[idx], b[idx], &sat);
    count(sats, sat);
}

// src/cpu/pool.rs global_avg_pool: one thread per channel, the exact sum over positions in
// ascending order, divided once (half away from zero). positions > 0 (checked by the host).
extern "C" __global__ void global_avg_pool(const i64 *x, u64 positions, u64 channels, i64 *out) {
    u64 ch = thread_index();
    if (ch >= channels) return;
    i128 sum = 0;
    for (u64 p = 0; p < positions; p++) sum += x[p * channels + ch];
    out[ch] = (i64)div_round_i128(sum, (i128)positions);
}

// --- Recurrent layers (src/cpu/recurrent.rs): one launch per time step, one thread per unit.
// Steps run in order because the launches share one stream; the state h is double-buffered
// (read h_prev, write h_next) so no thread reads a value another thread of the same step
// writes. Each thread counts its own saturations and adds them once.

// An activation as the host packs it: kind, slope, max value, has max, threshold.
struct Act {
    int kind, has_max;
    i64 slope, max_value, threshold;
};

__device__ __forceinline__ Act load_act(const i64 *p) {
    Act a = {(int)p[0], (int)p[3], p[1], p[2], p[4]};
    return a;
}

// src/cpu/elementwise.rs activate(), adding its saturation (0 or 1) to *n.
// Not inlined: the LSTM calls it five times, and each copy would carry exp and divisions.
__device__ __noinline__ i64 act_count(Act a, i64 x, u64 *n) {
    int sat = 0;
    i64 v = activate(a.kind, a.slope, a.max_value, a.has_max, a.threshold, x, &sat);
    *n += (u64)sat;
    return v;
}

// The shape of a recurrent layer as the host packs it.
struct Rec {
    const i64 *x_t;      // this step's input, input_dim values
    const i64 *h_prev;   // the state after the previous step, units values
    const i64 *kernel;   // input_dim x width
    const i64 *recurrent; // units x width
    const i64 *bias;     // width values, or null
    u64 input_dim, units, width;
};

// src/cpu/recurrent.rs pre_activations() for column `col`: bias, then the inputs, then the
// state, each in ascending order, in one exact accumulator rounded once.
__device__ i64 pre_activation(const Rec *r, u64 col, u64 *n) {
    Acc acc;
    acc_init(&acc, r->bias, col);
    for (u64 i = 0; i < r->input_dim; i++) acc_mac(&acc, r->x_t[i], r->kernel[i * r->width + col]);
    for (u64 k = 0; k < r->units; k++) acc_mac(&acc, r->h_prev[k], r->recurrent[k * r->width + col]);
    int sat = 0;
    i64 v = acc_finish(&acc, &sat);
    *n += (u64)sat;
    return v;
}

// dims: [input_dim, units]. Writes h_next[j]; also out[out_base + j] when emit is set.
extern "C" __global__ void simple_rnn_step(const i64 *x, u64 t, const u64 *dims,
                                           const i64 *kernel, const i64 *recurrent,
                                           const i64 *bias, const i64 *act, const i64 *h_prev,
                                           i64 *h_next, i64 *out, u64 out_base, int emit,
                                           u64 *sats) {
    u64 input_dim = dims[0], units = dims[1];
    u64 j = thread_index();
    if (j >= units) return;
    Rec r = {x + t * input_dim, h_prev, kernel, recurrent, bias, input_dim, units, units};
    u64 n = 0;
    i64 z = pre_activation(&r, j, &n);
    i64 h = act_count(load_act(act), z, &n);
    h_next[j] = h;
    if (emit) out[out_base + j] = h;
    if (n) atomicAdd(sats, n);
}

// dims: [input_dim, units]; acts: the activation, then the recurrent activation. Gates in
// Keras' column order i, f, g (cell input), o. c is the cell state; thread j alone reads and
// writes c[j].
extern "C" __global__ void lstm_step(const i64 *x, u64 t, const u64 *dims, const i64 *kernel,
                                     const i64 *recurrent, const i64 *bias, const i64 *acts,
                                     const i64 *h_prev, i64 *h_next, i64 *c, i64 *out,
                                     u64 out_base, int emit, u64 *sats) {
    u64 input_dim = dims[0], u = dims[1];
    u64 j = thread_index();
    if (j >= u) return;
    Rec r = {x + t * input_dim, h_prev, kernel, recurrent, bias, input_dim, u, 4 * u};
    u64 n = 0;
    i64 zi = pre_activation(&r, j, &n);
    i64 zf = pre_activation(&r, u + j, &n);
    i64 zg = pre_activation(&r, 2 * u + j, &n);
    i64 zo = pre_activation(&r, 3 * u + j, &n);
    Act a = load_act(acts), ra = load_act(acts + 5);
    i64 i_gate = act_count(ra, zi, &n);
    i64 f_gate = act_count(ra, zf, &n);
    i64 g = act_count(a, zg, &n);
    i64 o_gate = act_count(ra, zo, &n);
    // c = f c + i g: one exact sum, rounded once.
    Acc acc;
    acc_init(&acc, 0, 0);
    acc_mac(&acc, f_gate, c[j]);
    acc_mac(&acc, i_gate, g);
    int s1 = 0, s2 = 0;
    i64 c_new = acc_finish(&acc, &s1);
    i64 h = mul_sat(o_gate, act_count(a, c_new, &n), &s2);
    n += (u64)s1 + (u64)s2;
    c[j] = c_new;
    h_next[j] = h;
    if (emit) out[out_base + j] = h;
    if (n) atomicAdd(sats, n);
}
