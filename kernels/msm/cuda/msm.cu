// Multi-scalar multiplication on BN254 G1 and G2 for CUDA: the bucket method with signed
// (Booth) windows, as the CPU MSM of kernels/msm/src (without GLV: the GPU has threads to
// spare, and the scalars stay whole).
//
// Field elements are eight 32-bit limbs in Montgomery form with R = 2^256, the limbs of the
// CPU's Fq read as 32-bit words, so the host passes points and reads results without a
// conversion. Products are 32 x 32 -> 64 bits, which nvcc and g++ both do exactly: the same
// source runs on a device and, through emulate_msm.cpp, on the host.
//
// Launch sequence for n points, window width c (1..=16), W = 254 / c + 1 windows and
// B = 2^(c-1) buckets per window (src/cuda.rs and emulate_msm.cpp do the same):
//   1. msm_digits_*:      one thread per point: its W bucket keys (or EMPTY);
//   2. msm_count:         one thread per (window, point): counts per bucket (atomicAdd);
//   3. msm_scan:          one thread: offsets = exclusive prefix sum of the counts;
//   4. msm_scatter:       one thread per (window, point): entries grouped by bucket;
//   5. msm_bucket_sum_*:  one thread per (window, bucket): the sum of its points (XYZZ);
//   6. msm_window_sum_*:  one thread per (window, segment): the weighted sum of a segment of
//                         the window's buckets (running sums);
//   7. msm_final_*:       one thread: segments and windows combined, the result in affine.
// Steps 2 and 4 order entries within a bucket differently on every run on a GPU; the group
// law is commutative and the result is returned in affine coordinates, so the output bits
// are the same whatever the order.

typedef unsigned int u32;
typedef unsigned long long u64;

#define LIMBS 8
#define EMPTY 0xffffffffu

// Loops nvcc must not unroll (the inversion's 254 steps, the bucket loops): unrolled and with
// every call inlined, the PTX grows to tens of megabytes.
#ifdef __CUDACC__
#define NO_UNROLL _Pragma("unroll 1")
#else
#define NO_UNROLL
#endif

struct Fq {
    u32 v[LIMBS];
};

struct Fq2 {
    Fq c0, c1;
};

// p, little-endian 32-bit limbs.
__constant__ u32 MODULUS[LIMBS] = {0xd87cfd47, 0x3c208c16, 0x6871ca8d, 0x97816a91,
                                   0x8181585d, 0xb85045b6, 0xe131a029, 0x30644e72};
// R mod p: one in Montgomery form.
__constant__ u32 MONT_ONE[LIMBS] = {0xc58f0d9d, 0xd35d438d, 0xf5c70b3d, 0x0a78eb28,
                                    0x7879462c, 0x666ea36f, 0x9a07df2f, 0x0e0a77c1};
// -p^-1 mod 2^32.
#define PINV 0xe4866389u

// ---- Fq ----------------------------------------------------------------------------------

__device__ __forceinline__ Fq fq_zero() {
    Fq r;
    for (int i = 0; i < LIMBS; i++) r.v[i] = 0;
    return r;
}

__device__ __forceinline__ Fq fq_one() {
    Fq r;
    for (int i = 0; i < LIMBS; i++) r.v[i] = MONT_ONE[i];
    return r;
}

__device__ __forceinline__ bool fq_is_zero(const Fq &a) {
    u32 acc = 0;
    for (int i = 0; i < LIMBS; i++) acc |= a.v[i];
    return acc == 0;
}

__device__ __forceinline__ bool fq_eq(const Fq &a, const Fq &b) {
    u32 acc = 0;
    for (int i = 0; i < LIMBS; i++) acc |= a.v[i] ^ b.v[i];
    return acc == 0;
}

// a - p if (carry:a) >= p, else a; for values below 2p.
__device__ __forceinline__ Fq fq_reduce_once(const Fq &a, u32 carry) {
    Fq d;
    u64 borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        u64 t = (u64)a.v[i] - MODULUS[i] - borrow;
        d.v[i] = (u32)t;
        borrow = (t >> 63) & 1;
    }
    bool keep = carry == 0 && borrow != 0;
    return keep ? a : d;
}

__device__ __forceinline__ Fq fq_add(const Fq &a, const Fq &b) {
    Fq s;
    u64 carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        u64 t = (u64)a.v[i] + b.v[i] + carry;
        s.v[i] = (u32)t;
        carry = t >> 32;
    }
    return fq_reduce_once(s, (u32)carry);
}

__device__ __forceinline__ Fq fq_sub(const Fq &a, const Fq &b) {
    Fq d;
    u64 borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        u64 t = (u64)a.v[i] - b.v[i] - borrow;
        d.v[i] = (u32)t;
        borrow = (t >> 63) & 1;
    }
    if (borrow) {
        u64 carry = 0;
        for (int i = 0; i < LIMBS; i++) {
            u64 t = (u64)d.v[i] + MODULUS[i] + carry;
            d.v[i] = (u32)t;
            carry = t >> 32;
        }
    }
    return d;
}

__device__ __forceinline__ Fq fq_neg(const Fq &a) { return fq_sub(fq_zero(), a); }

// Montgomery product a b / 2^256 mod p (CIOS, 32-bit words).
__device__ __noinline__ Fq fq_mul(const Fq &a, const Fq &b) {
    u32 t[LIMBS + 2];
    for (int i = 0; i < LIMBS + 2; i++) t[i] = 0;
    for (int i = 0; i < LIMBS; i++) {
        u64 c = 0;
        for (int j = 0; j < LIMBS; j++) {
            u64 s = (u64)a.v[j] * b.v[i] + t[j] + c;
            t[j] = (u32)s;
            c = s >> 32;
        }
        u64 s = (u64)t[LIMBS] + c;
        t[LIMBS] = (u32)s;
        t[LIMBS + 1] = (u32)(s >> 32);
        u32 m = t[0] * PINV;
        s = (u64)m * MODULUS[0] + t[0];
        c = s >> 32;
        for (int j = 1; j < LIMBS; j++) {
            s = (u64)m * MODULUS[j] + t[j] + c;
            t[j - 1] = (u32)s;
            c = s >> 32;
        }
        s = (u64)t[LIMBS] + c;
        t[LIMBS - 1] = (u32)s;
        t[LIMBS] = t[LIMBS + 1] + (u32)(s >> 32);
    }
    Fq r;
    for (int i = 0; i < LIMBS; i++) r.v[i] = t[i];
    return fq_reduce_once(r, t[LIMBS]);
}

__device__ __forceinline__ Fq fq_square(const Fq &a) { return fq_mul(a, a); }

// a^(p-2) = 1/a (0 for 0), square-and-multiply from the top bit of p - 2.
__device__ __noinline__ Fq fq_inv(const Fq &a) {
    u32 e[LIMBS];
    for (int i = 0; i < LIMBS; i++) e[i] = MODULUS[i];
    e[0] -= 2; // p is odd and its lowest limb exceeds 2: no borrow
    Fq r = fq_one();
    NO_UNROLL
    for (int bit = 253; bit >= 0; bit--) {
        r = fq_square(r);
        if ((e[bit / 32] >> (bit % 32)) & 1) r = fq_mul(r, a);
    }
    return r;
}

// ---- Fq2 = Fq[u] / (u^2 + 1) ---------------------------------------------------------------

__device__ __forceinline__ Fq2 fq2_zero() { return Fq2{fq_zero(), fq_zero()}; }
__device__ __forceinline__ Fq2 fq2_one() { return Fq2{fq_one(), fq_zero()}; }
__device__ __forceinline__ bool fq2_is_zero(const Fq2 &a) {
    return fq_is_zero(a.c0) && fq_is_zero(a.c1);
}
__device__ __forceinline__ bool fq2_eq(const Fq2 &a, const Fq2 &b) {
    return fq_eq(a.c0, b.c0) && fq_eq(a.c1, b.c1);
}
__device__ __forceinline__ Fq2 fq2_add(const Fq2 &a, const Fq2 &b) {
    return Fq2{fq_add(a.c0, b.c0), fq_add(a.c1, b.c1)};
}
__device__ __forceinline__ Fq2 fq2_sub(const Fq2 &a, const Fq2 &b) {
    return Fq2{fq_sub(a.c0, b.c0), fq_sub(a.c1, b.c1)};
}
__device__ __forceinline__ Fq2 fq2_neg(const Fq2 &a) { return Fq2{fq_neg(a.c0), fq_neg(a.c1)}; }
__device__ __noinline__ Fq2 fq2_mul(const Fq2 &a, const Fq2 &b) {
    Fq v0 = fq_mul(a.c0, b.c0), v1 = fq_mul(a.c1, b.c1);
    Fq s = fq_mul(fq_add(a.c0, a.c1), fq_add(b.c0, b.c1));
    return Fq2{fq_sub(v0, v1), fq_sub(fq_sub(s, v0), v1)};
}
__device__ __forceinline__ Fq2 fq2_square(const Fq2 &a) { return fq2_mul(a, a); }
// 1 / (c0 + c1 u) = (c0 - c1 u) / (c0^2 + c1^2).
__device__ __noinline__ Fq2 fq2_inv(const Fq2 &a) {
    Fq t = fq_inv(fq_add(fq_square(a.c0), fq_square(a.c1)));
    return Fq2{fq_mul(a.c0, t), fq_neg(fq_mul(a.c1, t))};
}

// The field operations as overloads, so that the point code below is written once.
__device__ __forceinline__ void set_zero(Fq &a) { a = fq_zero(); }
__device__ __forceinline__ void set_zero(Fq2 &a) { a = fq2_zero(); }
__device__ __forceinline__ void set_one(Fq &a) { a = fq_one(); }
__device__ __forceinline__ void set_one(Fq2 &a) { a = fq2_one(); }
__device__ __forceinline__ bool is_zero(const Fq &a) { return fq_is_zero(a); }
__device__ __forceinline__ bool is_zero(const Fq2 &a) { return fq2_is_zero(a); }
__device__ __forceinline__ Fq add(const Fq &a, const Fq &b) { return fq_add(a, b); }
__device__ __forceinline__ Fq2 add(const Fq2 &a, const Fq2 &b) { return fq2_add(a, b); }
__device__ __forceinline__ Fq sub(const Fq &a, const Fq &b) { return fq_sub(a, b); }
__device__ __forceinline__ Fq2 sub(const Fq2 &a, const Fq2 &b) { return fq2_sub(a, b); }
__device__ __forceinline__ Fq neg(const Fq &a) { return fq_neg(a); }
__device__ __forceinline__ Fq2 neg(const Fq2 &a) { return fq2_neg(a); }
__device__ __forceinline__ Fq mul(const Fq &a, const Fq &b) { return fq_mul(a, b); }
__device__ __forceinline__ Fq2 mul(const Fq2 &a, const Fq2 &b) { return fq2_mul(a, b); }
__device__ __forceinline__ Fq sqr(const Fq &a) { return fq_square(a); }
__device__ __forceinline__ Fq2 sqr(const Fq2 &a) { return fq2_square(a); }
__device__ __forceinline__ Fq inv(const Fq &a) { return fq_inv(a); }
__device__ __forceinline__ Fq2 inv(const Fq2 &a) { return fq2_inv(a); }

#include "msm_points.cuh"
