//! The request rules in the circuit: the commit and reveal windows, when settlement is due,
//! and the outcome (who agrees, the quorum, each share, the refund and the slashing), all
//! from the request record before the op and the block number. Each function computes its
//! values for every slot; the slot enforces them only under the kind they belong to.

use super::gadgets::{alloc_num, eq_if, gt, or, range_if, select};
use super::records::RequestVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::PocParams;

/// Where a request stands at block `b` (0/1 values).
pub struct Phase {
    /// `b > created + commit_window`.
    pub commit_closed: FpVar<Fr>,
    /// Reveals are open.
    pub reveals_open: FpVar<Fr>,
    /// Settlement is due.
    pub settle_due: FpVar<Fr>,
}

/// The phase of `r` at block `b` (mirrors `RequestRecord::{reveals_open, settle_due}`).
pub fn phase(
    cs: &ConstraintSystemRef<Fr>,
    r: &RequestVar,
    b: &FpVar<Fr>,
    params: &PocParams,
) -> Result<Phase, SynthesisError> {
    let commit_deadline = &r.created + Fr::from(params.commit_window_blocks);
    let reveal_deadline = &commit_deadline + Fr::from(params.reveal_window_blocks);
    let commit_closed = gt(cs, b, &commit_deadline)?;
    let reveal_closed = gt(cs, b, &reveal_deadline)?;
    let f = &r.flags;
    let all_committed = &f[0] * &f[1] * &f[2];
    let commit_over = or(&all_committed, &commit_closed);
    let reveals_open = &commit_over * (FpVar::one() - &reveal_closed);
    // Every committed seat has revealed: for each j, not committed or revealed.
    let done = |j: usize| FpVar::one() - &f[j] + &f[j] * &f[3 + j];
    let all_revealed = done(0) * done(1) * done(2);
    let settle_due = or(&reveal_closed, &(&commit_over * &all_revealed));
    Ok(Phase {
        commit_closed,
        reveals_open,
        settle_due,
    })
}

/// How a request settles, for the seat or part `e` (one-hot over 4).
pub struct Settlement {
    /// The selected seat agrees with another revealed seat.
    pub agree_sel: FpVar<Fr>,
    /// What the selected part pays: the share (agreeing seat), the refund (part 3), else 0.
    pub payout: FpVar<Fr>,
    /// The selected seat's neuron is slashed.
    pub slashed_sel: FpVar<Fr>,
    /// The share each agreeing seat is paid.
    pub share: FpVar<Fr>,
}

/// The outcome of `r` (mirrors `RequestRecord::outcome` and `Outcome::slashed`), with the
/// share and remainder as checked hints: `share * agreeing + remainder = escrow` and
/// `remainder < agreeing` with a quorum, both 0 without one.
pub fn settlement(
    cs: &ConstraintSystemRef<Fr>,
    r: &RequestVar,
    e: &[FpVar<Fr>; 4],
    share_hint: u64,
    remainder_hint: u64,
) -> Result<Settlement, SynthesisError> {
    let f = &r.flags;
    let res = &r.results;
    let pair = |i: usize, j: usize| -> Result<FpVar<Fr>, SynthesisError> {
        let same: FpVar<Fr> = res[i].is_eq(&res[j])?.into();
        Ok(&f[3 + i] * &f[3 + j] * same)
    };
    let (p01, p02, p12) = (pair(0, 1)?, pair(0, 2)?, pair(1, 2)?);
    let agree = [or(&p01, &p02), or(&p01, &p12), or(&p02, &p12)];
    let quorum = or(&agree[0], &p12);
    let agreeing = &agree[0] + &agree[1] + &agree[2];
    let share = alloc_num(cs, share_hint, 64)?;
    let remainder = alloc_num(cs, remainder_hint, 2)?;
    eq_if(&quorum, &(&share * &agreeing + &remainder), &r.escrow)?;
    range_if(cs, &quorum, &(&agreeing - Fr::from(1u64) - &remainder), 2)?;
    let no_quorum = FpVar::one() - &quorum;
    eq_if(&no_quorum, &share, &FpVar::zero())?;
    eq_if(&no_quorum, &remainder, &FpVar::zero())?;
    let refund = select(&quorum, &remainder, &r.escrow)?;
    let agree_sel = &e[0] * &agree[0] + &e[1] * &agree[1] + &e[2] * &agree[2];
    let payout = &e[3] * &refund + &agree_sel * &share;
    let revealed_sel = &e[0] * &f[3] + &e[1] * &f[4] + &e[2] * &f[5];
    let outside = (FpVar::one() - &agree_sel) * (FpVar::one() - &e[3]);
    let slashed_sel = outside * or(&quorum, &(FpVar::one() - revealed_sel));
    Ok(Settlement {
        agree_sel,
        payout,
        slashed_sel,
        share,
    })
}
