// Points and the MSM kernels of msm.cu, written once for Fq (G1) and Fq2 (G2) as templates;
// the extern "C" entry points at the end name one instance each.
//
// Points are XYZZ, (X, Y, ZZ, ZZZ) for (X / ZZ, Y / ZZZ), ZZ = 0 the identity, with the
// formulas of the CPU's src/xyzz.rs (madd-2008-s, add-2008-s, dbl-2008-s-1, a = 0).

template <class F> struct Affine {
    F x, y;
};

template <class F> struct Xyzz {
    F x, y, zz, zzz;
};

template <class F> __device__ Xyzz<F> xyzz_identity() {
    Xyzz<F> r;
    set_one(r.x);
    set_one(r.y);
    set_zero(r.zz);
    set_zero(r.zzz);
    return r;
}

template <class F> __device__ Xyzz<F> xyzz_from_affine(const Affine<F> &p) {
    Xyzz<F> r;
    r.x = p.x;
    r.y = p.y;
    set_one(r.zz);
    set_one(r.zzz);
    return r;
}

template <class F> __device__ __noinline__ Xyzz<F> xyzz_double(const Xyzz<F> &p) {
    if (is_zero(p.zz)) return p;
    F u = add(p.y, p.y), v = sqr(u), w = mul(u, v), s = mul(p.x, v);
    F xx = sqr(p.x), m = add(add(xx, xx), xx);
    Xyzz<F> r;
    r.x = sub(sqr(m), add(s, s));
    r.y = sub(mul(m, sub(s, r.x)), mul(w, p.y));
    r.zz = mul(v, p.zz);
    r.zzz = mul(w, p.zzz);
    return r;
}

template <class F> __device__ __noinline__ Xyzz<F> xyzz_add_affine(const Xyzz<F> &p, const Affine<F> &q) {
    if (is_zero(p.zz)) return xyzz_from_affine(q);
    F u2 = mul(q.x, p.zz), s2 = mul(q.y, p.zzz);
    F pd = sub(u2, p.x), r = sub(s2, p.y);
    if (is_zero(pd)) {
        if (is_zero(r)) return xyzz_double(xyzz_from_affine(q));
        return xyzz_identity<F>();
    }
    F pp = sqr(pd), ppp = mul(pd, pp), q1 = mul(p.x, pp);
    Xyzz<F> o;
    o.x = sub(sub(sqr(r), ppp), add(q1, q1));
    o.y = sub(mul(r, sub(q1, o.x)), mul(p.y, ppp));
    o.zz = mul(p.zz, pp);
    o.zzz = mul(p.zzz, ppp);
    return o;
}

template <class F> __device__ __noinline__ Xyzz<F> xyzz_add(const Xyzz<F> &p, const Xyzz<F> &q) {
    if (is_zero(p.zz)) return q;
    if (is_zero(q.zz)) return p;
    F u1 = mul(p.x, q.zz), u2 = mul(q.x, p.zz);
    F s1 = mul(p.y, q.zzz), s2 = mul(q.y, p.zzz);
    F pd = sub(u2, u1), r = sub(s2, s1);
    if (is_zero(pd)) {
        if (is_zero(r)) return xyzz_double(p);
        return xyzz_identity<F>();
    }
    F pp = sqr(pd), ppp = mul(pd, pp), q1 = mul(u1, pp);
    Xyzz<F> o;
    o.x = sub(sub(sqr(r), ppp), add(q1, q1));
    o.y = sub(mul(r, sub(q1, o.x)), mul(s1, ppp));
    o.zz = mul(mul(p.zz, q.zz), pp);
    o.zzz = mul(mul(p.zzz, q.zzz), ppp);
    return o;
}

// k p for a small k, double-and-add.
template <class F> __device__ __noinline__ Xyzz<F> xyzz_mul_small(const Xyzz<F> &p, u32 k) {
    Xyzz<F> acc = xyzz_identity<F>();
    NO_UNROLL
    for (int bit = 31; bit >= 0; bit--) {
        acc = xyzz_double(acc);
        if ((k >> bit) & 1) acc = xyzz_add(acc, p);
    }
    return acc;
}

// ---- Booth digits (src/booth.rs) -------------------------------------------------------------

// `len` (at most 31) bits of the scalar k (eight 32-bit limbs) from bit `start`.
__device__ __forceinline__ u32 read_bits(const u32 *k, u32 start, u32 len) {
    u32 limb = start / 32, offset = start % 32;
    u64 low = limb < LIMBS ? k[limb] : 0;
    u64 high = limb + 1 < LIMBS ? k[limb + 1] : 0;
    return (u32)(((low | (high << 32)) >> offset) & ((1ull << len) - 1));
}

// The Booth digit of window w (width c) of k, in [-2^(c-1), 2^(c-1)].
__device__ __forceinline__ int booth_digit(const u32 *k, u32 w, u32 c) {
    u32 t = w == 0 ? read_bits(k, 0, c) << 1 : read_bits(k, w * c - 1, c + 1);
    int top = (int)(t >> c);
    return (int)((t + 1) >> 1) - (top << c);
}

// ---- Kernels ------------------------------------------------------------------------------------

// Step 1, one thread per point: keys[w n + i] = ((w B + |d| - 1) << 1) | (d < 0), or EMPTY
// for a zero digit or a point at infinity (infinity[i] != 0).
__device__ void digits(const u32 *scalars, const u32 *infinity, u32 n, u32 c, u32 windows,
                       u32 *keys) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    u32 buckets = 1u << (c - 1);
    for (u32 w = 0; w < windows; w++) {
        int d = infinity[i] ? 0 : booth_digit(scalars + LIMBS * i, w, c);
        u32 magnitude = (u32)(d < 0 ? -d : d);
        keys[w * n + i] = d == 0 ? EMPTY : ((w * buckets + magnitude - 1) << 1) | (d < 0 ? 1 : 0);
    }
}

// Step 2, one thread per key: counts[bucket] += 1.
extern "C" __global__ void msm_count(const u32 *keys, u32 total, u32 *counts) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total || keys[i] == EMPTY) return;
    atomicAdd(&counts[keys[i] >> 1], 1u);
}

// Step 3, one thread: offsets[b] = counts[0] + ... + counts[b - 1]; cursor = offsets.
extern "C" __global__ void msm_scan(const u32 *counts, u32 buckets, u32 *offsets, u32 *cursor) {
    if (blockIdx.x * blockDim.x + threadIdx.x != 0) return;
    u32 sum = 0;
    for (u32 b = 0; b < buckets; b++) {
        offsets[b] = sum;
        cursor[b] = sum;
        sum += counts[b];
    }
    offsets[buckets] = sum;
}

// Step 4, one thread per key: entries[slot] = point index << 1 | sign, grouped by bucket.
extern "C" __global__ void msm_scatter(const u32 *keys, u32 total, u32 n, u32 *cursor,
                                       u32 *entries) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total || keys[i] == EMPTY) return;
    u32 slot = atomicAdd(&cursor[keys[i] >> 1], 1u);
    entries[slot] = ((i % n) << 1) | (keys[i] & 1);
}

// Step 5, one thread per bucket (all windows): the XYZZ sum of its signed points.
template <class F>
__device__ void bucket_sum(const Affine<F> *points, const u32 *entries, const u32 *offsets,
                           u32 buckets, Xyzz<F> *sums) {
    u32 b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= buckets) return;
    Xyzz<F> acc = xyzz_identity<F>();
    NO_UNROLL
    for (u32 e = offsets[b]; e < offsets[b + 1]; e++) {
        Affine<F> p = points[entries[e] >> 1];
        if (entries[e] & 1) p.y = neg(p.y);
        acc = xyzz_add_affine(acc, p);
    }
    sums[b] = acc;
}

// Step 6, one thread per (window, segment): sum over the segment's buckets b of (b + 1) S_b,
// with S_b the bucket sums of the window (running sums from the segment's top).
template <class F>
__device__ void window_sum(const Xyzz<F> *sums, u32 windows, u32 c, u32 segments,
                           Xyzz<F> *partials) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= windows * segments) return;
    u32 w = i / segments, s = i % segments, buckets = 1u << (c - 1);
    u32 lo = (u32)((u64)buckets * s / segments), hi = (u32)((u64)buckets * (s + 1) / segments);
    Xyzz<F> running = xyzz_identity<F>(), total = xyzz_identity<F>();
    NO_UNROLL
    for (u32 b = hi; b > lo; b--) {
        running = xyzz_add(running, sums[w * buckets + b - 1]);
        total = xyzz_add(total, running);
    }
    partials[i] = xyzz_add(total, xyzz_mul_small(running, lo));
}

// Step 7, one thread: sum_w 2^(w c) (sum of the window's partials), in affine (out[0] = 1 for
// the identity, else out = {0, x, y}).
template <class F>
__device__ void final_sum(const Xyzz<F> *partials, u32 windows, u32 c, u32 segments,
                          u32 *infinity, Affine<F> *out) {
    if (blockIdx.x * blockDim.x + threadIdx.x != 0) return;
    Xyzz<F> acc = xyzz_identity<F>();
    NO_UNROLL
    for (int w = (int)windows - 1; w >= 0; w--) {
        NO_UNROLL
        for (u32 j = 0; j < c; j++) acc = xyzz_double(acc);
        for (u32 s = 0; s < segments; s++) acc = xyzz_add(acc, partials[w * segments + s]);
    }
    *infinity = is_zero(acc.zz) ? 1 : 0;
    if (is_zero(acc.zz)) return;
    out->x = mul(acc.x, inv(acc.zz));
    out->y = mul(acc.y, inv(acc.zzz));
}

// ---- Entry points, one per group ---------------------------------------------------------------

extern "C" __global__ void msm_digits(const u32 *scalars, const u32 *infinity, u32 n, u32 c,
                                      u32 windows, u32 *keys) {
    digits(scalars, infinity, n, c, windows, keys);
}

extern "C" __global__ void msm_bucket_sum_g1(const Affine<Fq> *points, const u32 *entries,
                                             const u32 *offsets, u32 buckets, Xyzz<Fq> *sums) {
    bucket_sum(points, entries, offsets, buckets, sums);
}

extern "C" __global__ void msm_bucket_sum_g2(const Affine<Fq2> *points, const u32 *entries,
                                             const u32 *offsets, u32 buckets, Xyzz<Fq2> *sums) {
    bucket_sum(points, entries, offsets, buckets, sums);
}

extern "C" __global__ void msm_window_sum_g1(const Xyzz<Fq> *sums, u32 windows, u32 c,
                                             u32 segments, Xyzz<Fq> *partials) {
    window_sum(sums, windows, c, segments, partials);
}

extern "C" __global__ void msm_window_sum_g2(const Xyzz<Fq2> *sums, u32 windows, u32 c,
                                             u32 segments, Xyzz<Fq2> *partials) {
    window_sum(sums, windows, c, segments, partials);
}

extern "C" __global__ void msm_final_g1(const Xyzz<Fq> *partials, u32 windows, u32 c,
                                        u32 segments, u32 *infinity, Affine<Fq> *out) {
    final_sum(partials, windows, c, segments, infinity, out);
}

extern "C" __global__ void msm_final_g2(const Xyzz<Fq2> *partials, u32 windows, u32 c,
                                        u32 segments, u32 *infinity, Affine<Fq2> *out) {
    final_sum(partials, windows, c, segments, infinity, out);
}
