//! The rules of egress review, free of any AWS SDK type.

pub mod archive;
pub mod objects;
pub mod request;
pub mod review;
