//! Baby Jubjub points in the circuit (circomlib's coordinates), with formulas counted to the
//! constraint: addition 6 (3 when one side is constant), doubling 5, on-curve check 3.
//!
//! Twisted Edwards addition on Baby Jubjub is complete (a is a square, d is not), so for points
//! on the curve no denominator is ever zero: the identity `(0, 1)` needs no special case in
//! lookup tables. Every point that enters these formulas is on the curve: constants, `R8`
//! (checked here), and account keys (created as `8 * P'` with `P'` checked on the curve).

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSystemRef, Namespace, SynthesisError};
use bitai_chain::babyjubjub::{Point, COEFF_A, COEFF_D};
use bitai_chain::field::Fr;

/// A point in the circuit.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// x coordinate.
    pub x: FpVar<Fr>,
    /// y coordinate.
    pub y: FpVar<Fr>,
}

/// `num / den` as a new witness `q` with the one constraint `q * den == num`.
fn divide(num: &FpVar<Fr>, den: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    if let (FpVar::Constant(n), FpVar::Constant(d)) = (num, den) {
        let inv = d.inverse().ok_or(SynthesisError::DivisionByZero)?;
        return Ok(FpVar::Constant(*n * inv));
    }
    let cs = num.cs().or(den.cs());
    let q = FpVar::new_witness(cs, || {
        let inv = den
            .value()?
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        Ok(num.value()? * inv)
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: &Point) -> Self {
        let (x, y) = p.xy().unwrap_or((Fr::ZERO, Fr::ONE));
        PointVar {
            x: FpVar::Constant(x),
            y: FpVar::Constant(y),
        }
    }

    /// A witness point; no check (see [`PointVar::enforce_on_curve`]).
    pub fn new_witness(
        cs: impl Into<Namespace<Fr>>,
        p: impl FnOnce() -> Result<Point, SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let ns = cs.into();
        let cs: ConstraintSystemRef<Fr> = ns.cs();
        let p = p();
        let x = FpVar::new_witness(cs.clone(), || p.map(|p| p.x))?;
        let y = FpVar::new_witness(cs, || p.map(|p| p.y))?;
        Ok(PointVar { x, y })
    }

    /// The point's value (for witness computation).
    pub fn value(&self) -> Result<Point, SynthesisError> {
        Ok(Point::new_unchecked(self.x.value()?, self.y.value()?))
    }

    /// Enforces `a x^2 + y^2 = 1 + d x^2 y^2` (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let lhs = &x2 * COEFF_A + &y2;
        (x2 * COEFF_D).mul_equals(&y2, &(lhs - Fr::ONE))
    }

    /// `self + other` (6 constraints; 3 if one side is constant).
    pub fn add(&self, other: &PointVar) -> Result<PointVar, SynthesisError> {
        let (x1, y1, x2, y2) = (&self.x, &self.y, &other.x, &other.y);
        let u = (x1 * (-COEFF_A) + y1) * (x2 + y2);
        let t0 = x1 * y2;
        let t1 = y1 * x2;
        let tau = &t0 * &t1;
        let x3 = divide(&(&t0 + &t1), &(&tau * COEFF_D + Fr::ONE))?;
        let y3 = divide(
            &(u + &t0 * COEFF_A - &t1),
            &(FpVar::Constant(Fr::ONE) - &tau * COEFF_D),
        )?;
        Ok(PointVar { x: x3, y: y3 })
    }

    /// `2 * self` (5 constraints), with the dedicated formulas valid on the curve.
    pub fn double(&self) -> Result<PointVar, SynthesisError> {
        let xy = &self.x * &self.y;
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let ax2 = &x2 * COEFF_A;
        let x3 = divide(&xy.double()?, &(&ax2 + &y2))?;
        let y3 = divide(&(&y2 - &ax2), &(FpVar::Constant(Fr::from(2u64)) - ax2 - y2))?;
        Ok(PointVar { x: x3, y: y3 })
    }

    /// Enforces equality when `condition` holds (2 constraints).
    pub fn conditional_enforce_equal(
        &self,
        other: &PointVar,
        condition: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        self.x.conditional_enforce_equal(&other.x, condition)?;
        self.y.conditional_enforce_equal(&other.y, condition)
    }

    /// `bits * base` for a constant base, bits little-endian, in 2-bit windows: each window
    /// looks up one of four constant multiples (one AND, 1 constraint) and adds it (6).
    pub fn mul_fixed_base(base: &Point, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        let mut window_base = base.into_group();
        let mut acc: Option<PointVar> = None;
        for chunk in bits.chunks(2) {
            let table: Vec<Point> = (0..4u64)
                .map(|k| (window_base * bitai_chain::babyjubjub::Scalar::from(k)).into_affine())
                .collect();
            let entry = lookup_constant(&table, chunk)?;
            acc = Some(match acc {
                None => entry,
                Some(a) => a.add(&entry)?,
            });
            window_base.double_in_place();
            window_base.double_in_place();
        }
        Ok(acc.unwrap_or_else(|| PointVar::constant(&Point::zero())))
    }

    /// `bits * self` for a point in the circuit, bits little-endian: most significant window
    /// first, two doublings (10) a lookup among `[O, P, 2P, 3P]` (7) and an addition (6) per
    /// two bits.
    pub fn mul_bits(&self, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        let p2 = self.double()?;
        let p3 = p2.add(self)?;
        let table = [PointVar::constant(&Point::zero()), self.clone(), p2, p3];
        let mut acc: Option<PointVar> = None;
        let chunks: Vec<&[Boolean<Fr>]> = bits.chunks(2).collect();
        for chunk in chunks.into_iter().rev() {
            let entry = lookup_var(&table, chunk)?;
            acc = Some(match acc {
                None => entry,
                Some(a) => {
                    let shifted = if chunk.len() == 2 {
                        a.double()?.double()?
                    } else {
                        a.double()?
                    };
                    shifted.add(&entry)?
                }
            });
        }
        Ok(acc.unwrap_or_else(|| PointVar::constant(&Point::zero())))
    }
}

/// `table[b0 + 2 b1]` for constant points: linear in `b0`, `b1`, `b0 b1` (1 constraint).
fn lookup_constant(table: &[Point], bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    let coords: Vec<(Fr, Fr)> = table
        .iter()
        .map(|p| p.xy().unwrap_or((Fr::ZERO, Fr::ONE)))
        .collect();
    let b0 = FpVar::from(bits[0].clone());
    if bits.len() == 1 {
        let x = &b0 * (coords[1].0 - coords[0].0) + coords[0].0;
        let y = &b0 * (coords[1].1 - coords[0].1) + coords[0].1;
        return Ok(PointVar { x, y });
    }
    let b1 = FpVar::from(bits[1].clone());
    let b01 = FpVar::from(bits[0].clone() & bits[1].clone());
    let pick = |c: [Fr; 4]| {
        &b0 * (c[1] - c[0]) + &b1 * (c[2] - c[0]) + &b01 * (c[3] - c[2] - c[1] + c[0]) + c[0]
    };
    Ok(PointVar {
        x: pick([coords[0].0, coords[1].0, coords[2].0, coords[3].0]),
        y: pick([coords[0].1, coords[1].1, coords[2].1, coords[3].1]),
    })
}

/// `table[b0 + 2 b1]` for points in the circuit (7 constraints; 2 for one bit).
fn lookup_var(table: &[PointVar; 4], bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    if bits.len() == 1 {
        return Ok(PointVar {
            x: FpVar::conditionally_select(&bits[0], &table[1].x, &table[0].x)?,
            y: FpVar::conditionally_select(&bits[0], &table[1].y, &table[0].y)?,
        });
    }
    let b0 = FpVar::from(bits[0].clone());
    let b1 = FpVar::from(bits[1].clone());
    let b01 = FpVar::from(bits[0].clone() & bits[1].clone());
    let pick = |c: [&FpVar<Fr>; 4]| -> FpVar<Fr> {
        c[0] + &b0 * (c[1] - c[0]) + &b1 * (c[2] - c[0]) + &b01 * (c[3] - c[2] - c[1] + c[0])
    };
    Ok(PointVar {
        x: pick([&table[0].x, &table[1].x, &table[2].x, &table[3].x]),
        y: pick([&table[0].y, &table[1].y, &table[2].y, &table[3].y]),
    })
}
