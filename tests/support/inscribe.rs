//! The outsider's inscriber lives in `bitai_simulation::outsider` (`bitai sim` uses it too);
//! the scenarios know it by this name.

pub use bitai_simulation::outsider::{
    bitai_envelope, plain_inscription, Inscribed, OutsideInscriber as TestInscriber,
};
